def crous(request):
    """Whether this instance talks to CROUS: the back-office shows its pages only then."""
    from campuscard.integrations.crous.services import crous_configured

    return {"crous_on": crous_configured()}
