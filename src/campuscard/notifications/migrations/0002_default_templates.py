"""The mails a card holder receives out of the box, in French and English.

The text is frozen here on purpose: administrators edit it afterwards in the back-office.
"""

from django.db import migrations

EN_HELLO = "Hello {{ person.first_name }},\n\n"
FR_HELLO = "Bonjour {{ person.first_name }},\n\n"
EN_BYE = "\n\nKind regards,\nThe card office, {{ establishment.name }}"
FR_BYE = "\n\nBien cordialement,\nLe service des cartes, {{ establishment.name }}"

# event: (English subject, English text, French subject, French text)
DEFAULTS = {
    "card.requested": (
        "We have received your card request",
        "We have received your request for a student card. The card office will check it "
        "shortly, and you will receive a mail at each step.\n\n"
        "You can follow your request at {{ portal_url }}",
        "Nous avons bien reçu votre demande de carte",
        "Nous avons bien reçu votre demande de carte étudiante. Le service des cartes va "
        "l'examiner prochainement, et vous recevrez un message à chaque étape.\n\n"
        "Vous pouvez suivre votre demande sur {{ portal_url }}",
    ),
    "card.renewal_requested": (
        "We have received your request for a new card",
        "We have received your request for a new student card. The card office will check it "
        "shortly, and you will receive a mail at each step. If your current card still works, "
        "you can keep using it until the new one is enabled.\n\n"
        "You can follow your request at {{ portal_url }}",
        "Nous avons bien reçu votre demande de nouvelle carte",
        "Nous avons bien reçu votre demande de nouvelle carte étudiante. Le service des cartes "
        "va l'examiner prochainement, et vous recevrez un message à chaque étape. Si votre "
        "carte actuelle fonctionne encore, vous pouvez l'utiliser jusqu'à l'activation de la "
        "nouvelle.\n\n"
        "Vous pouvez suivre votre demande sur {{ portal_url }}",
    ),
    "card.request_checked": (
        "Your card request has been accepted",
        "Your card request has been checked and accepted. Your card will now be printed; "
        "we will let you know as soon as it is ready.\n\n"
        "You can follow your request at {{ portal_url }}",
        "Votre demande de carte a été acceptée",
        "Votre demande de carte a été vérifiée et acceptée. Votre carte va maintenant être "
        "imprimée ; nous vous préviendrons dès qu'elle sera prête.\n\n"
        "Vous pouvez suivre votre demande sur {{ portal_url }}",
    ),
    "card.rejected": (
        "Your card request could not be accepted",
        "We are sorry, but your card request could not be accepted, for the following "
        "reason:\n\n{{ card.rejection_reason }}\n\n"
        "Please send a new request, corrected accordingly, at {{ portal_url }}",
        "Votre demande de carte n'a pas pu être acceptée",
        "Nous sommes désolés, mais votre demande de carte n'a pas pu être acceptée, pour la "
        "raison suivante :\n\n{{ card.rejection_reason }}\n\n"
        "Nous vous invitons à déposer une nouvelle demande, corrigée en conséquence, sur "
        "{{ portal_url }}",
    ),
    "card.canceled": (
        "Your card request has been canceled",
        "Your card request has been canceled. If you did not expect this, or if you still need "
        "a card, you can send a new request at {{ portal_url }}",
        "Votre demande de carte a été annulée",
        "Votre demande de carte a été annulée. Si vous ne vous y attendiez pas, ou si vous avez "
        "toujours besoin d'une carte, vous pouvez déposer une nouvelle demande sur "
        "{{ portal_url }}",
    ),
    "card.printed": (
        "Your card has been printed",
        "Your student card has been printed. "
        "{% if card.delivery_mode == 'postal' %}It will be sent to the postal address you gave "
        "in your request.{% else %}You can collect it "
        "{% if establishment.pickup_place %}at: {{ establishment.pickup_place }}"
        "{% else %}from the card office{% endif %}. Please bring an identity document."
        "{% endif %}\n\n"
        "We will let you know when the card is enabled and ready to use.",
        "Votre carte a été imprimée",
        "Votre carte étudiante a été imprimée. "
        "{% if card.delivery_mode == 'postal' %}Elle vous sera envoyée à l'adresse postale "
        "indiquée dans votre demande.{% else %}Vous pouvez la retirer "
        "{% if establishment.pickup_place %}à l'adresse suivante : "
        "{{ establishment.pickup_place }}{% else %}auprès du service des cartes{% endif %}. "
        "Pensez à vous munir d'une pièce d'identité.{% endif %}\n\n"
        "Nous vous préviendrons lorsque la carte sera activée et prête à l'emploi.",
    ),
    "card.enabled": (
        "Your card is enabled",
        "Your student card is now enabled and ready to use"
        "{% if rights_end %} until {{ rights_end }}{% endif %}.\n\n"
        "If you lose it or it is stolen, please block it at once at {{ portal_url }}",
        "Votre carte est activée",
        "Votre carte étudiante est désormais activée et prête à l'emploi"
        "{% if rights_end %} jusqu'au {{ rights_end }}{% endif %}.\n\n"
        "En cas de perte ou de vol, bloquez-la sans attendre sur {{ portal_url }}",
    ),
    "card.disabled": (
        "Your card has been blocked",
        "Your student card has been blocked. Reason: {{ card.disable_reason }}.\n\n"
        "{% if card.disable_reason_code == 'LOST' or card.disable_reason_code == 'THEFT' %}"
        "If you find it again, you can enable it again yourself at {{ portal_url }}, as long "
        "as you have not received a new card. If it is gone for good, you can ask for a new "
        "card on the same page."
        "{% elif card.disable_reason_code == 'OUT_OF_ORDER' %}"
        "You can ask for a new card at {{ portal_url }}"
        "{% elif card.disable_reason_code == 'REPLACED' %}"
        "It has been replaced by your new card, which is the one to use from now on."
        "{% else %}If you have any question, please contact the card office.{% endif %}",
        "Votre carte a été bloquée",
        "Votre carte étudiante a été bloquée. Motif : {{ card.disable_reason }}.\n\n"
        "{% if card.disable_reason_code == 'LOST' or card.disable_reason_code == 'THEFT' %}"
        "Si vous la retrouvez, vous pouvez la réactiver vous-même sur {{ portal_url }}, tant "
        "que vous n'avez pas reçu de nouvelle carte. Si elle est définitivement perdue, vous "
        "pouvez demander une nouvelle carte sur la même page."
        "{% elif card.disable_reason_code == 'OUT_OF_ORDER' %}"
        "Vous pouvez demander une nouvelle carte sur {{ portal_url }}"
        "{% elif card.disable_reason_code == 'REPLACED' %}"
        "Elle a été remplacée par votre nouvelle carte, que vous devez désormais utiliser."
        "{% else %}Pour toute question, n'hésitez pas à contacter le service des cartes."
        "{% endif %}",
    ),
    "card.expired": (
        "Your card has expired",
        "Your rights at {{ establishment.name }} have ended"
        "{% if rights_end %} (on {{ rights_end }}){% endif %}, so your student card no longer "
        "works.\n\n"
        "If you enrol again, you will be able to use a card again: see {{ portal_url }} or "
        "contact the card office.",
        "Votre carte a expiré",
        "Vos droits à {{ establishment.name }} ont pris fin"
        "{% if rights_end %} (le {{ rights_end }}){% endif %} ; votre carte étudiante ne "
        "fonctionne donc plus.\n\n"
        "Si vous vous réinscrivez, vous pourrez de nouveau utiliser une carte : rendez-vous sur "
        "{{ portal_url }} ou contactez le service des cartes.",
    ),
    "card.destroyed": (
        "Your card has been destroyed",
        "Your student card (no. {{ card.id }}) has been destroyed and can no longer be used.\n\n"
        "If you need a card, you can request a new one at {{ portal_url }}",
        "Votre carte a été détruite",
        "Votre carte étudiante (n° {{ card.id }}) a été détruite et ne peut plus être "
        "utilisée.\n\n"
        "Si vous avez besoin d'une carte, vous pouvez en demander une nouvelle sur "
        "{{ portal_url }}",
    ),
    "person.rights_end_reminder": (
        "Your rights end on {{ rights_end }}",
        "Your rights at {{ establishment.name }} end on {{ rights_end }}. After that date, your "
        "student card will no longer work.\n\n"
        "If you enrol again before then, your card will keep working once your new enrolment "
        "is recorded. You can check your card at {{ portal_url }}",
        "Vos droits prennent fin le {{ rights_end }}",
        "Vos droits à {{ establishment.name }} prennent fin le {{ rights_end }}. Après cette "
        "date, votre carte étudiante ne fonctionnera plus.\n\n"
        "Si vous vous réinscrivez d'ici là, votre carte continuera de fonctionner dès que votre "
        "nouvelle inscription sera enregistrée. Vous pouvez consulter votre carte sur "
        "{{ portal_url }}",
    ),
}


def create_defaults(apps, schema_editor):
    MailTemplate = apps.get_model("notifications", "MailTemplate")
    for event, (subject_en, body_en, subject_fr, body_fr) in DEFAULTS.items():
        MailTemplate.objects.get_or_create(event=event, defaults={
            "subject_en": subject_en, "body_en": EN_HELLO + body_en + EN_BYE,
            "subject_fr": subject_fr, "body_fr": FR_HELLO + body_fr + FR_BYE,
            "active": True,
        })


def remove_defaults(apps, schema_editor):
    MailTemplate = apps.get_model("notifications", "MailTemplate")
    MailTemplate.objects.filter(event__in=DEFAULTS).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("notifications", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(create_defaults, remove_defaults),
    ]
