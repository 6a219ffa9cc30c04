from campuscard.people.permissions import scope_of


def roles(request):
    scope = scope_of(getattr(request, "user", None))
    return {
        "is_staff_member": scope.is_staff_member,
        "is_manager": scope.is_manager,
        "is_admin": scope.is_admin,
    }
