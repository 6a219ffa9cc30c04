"""Staff roles from the directory and the sign-on attributes (filled in with the roles work)."""


def refresh_sign_on_roles(user, method_name, record):
    return None
