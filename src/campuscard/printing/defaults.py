"""The default template: the Léocarte's layout (issue 13, the seed's description) drawn with
our own artwork — shapes and colours written here, no copied logo."""

from django.db import transaction

CODE = "default"
NAME = "CR80 — photo, identity, ESC QR (Léocarte layout)"

# Our own mark for the European Student Card: a ring of dots around the letters, in a square.
ESC_MARK = "".join(
    f'<circle cx="{10 + 7 * cos:.2f}" cy="{10 + 7 * sin:.2f}" r="0.8" fill="#f4c430"/>'
    for cos, sin in ((1, 0), (0.866, 0.5), (0.5, 0.866), (0, 1), (-0.5, 0.866),
                     (-0.866, 0.5), (-1, 0), (-0.866, -0.5), (-0.5, -0.866), (0, -1),
                     (0.5, -0.866), (0.866, -0.5)))

LOGO_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 20 20">'
    '<rect x="1" y="1" width="12" height="12" rx="3" fill="#ffffff" opacity="0.9"/>'
    '<rect x="7" y="7" width="12" height="12" rx="3" fill="#e8a33d"/>'
    '<circle cx="13" cy="13" r="2.5" fill="#14557a"/></svg>')

FRONT_HTML = """\
<div class="bleed art band-art">
  <svg class="art" width="87.6mm" height="55.98mm" viewBox="0 0 876 560">
    <rect width="876" height="560" fill="#ffffff"/>
    <rect width="876" height="120" fill="#14557a"/>
    <path d="M0 470 C 220 420, 420 540, 876 440 L 876 560 L 0 560 Z" fill="#dbe9f2"/>
    <path d="M0 500 C 260 450, 470 560, 876 480 L 876 560 L 0 560 Z" fill="#9cc3dc"/>
  </svg>
</div>
{% if logo %}<img class="logo" src="{{ logo }}" alt="">{% endif %}
<div class="establishment-band">{% fit establishment width=46 max=8 min=5 %}</div>
<div class="population-band">{% fit population width=18 max=6.5 min=4.5 face="normal" %}</div>
<div class="photo-box">{% if photo %}<img class="photo" src="{{ photo }}" alt="">{% endif %}</div>
<div class="identity">
  <div class="last-name">{% fit last_name width=37 max=10 min=6 %}</div>
  <div class="first-name">{% fit first_name width=37 max=8.5 min=5.5 face="normal" %}</div>
  {% if birth_date %}<div class="line">{{ birth_label }} {{ birth_date }}</div>{% endif %}
  {% if number %}<div class="line">{{ number_label }} : {{ number }}</div>{% endif %}
  <div class="line">PIC : {{ pic }}</div>
</div>
{% if qr %}<img class="qr" src="{{ qr }}" alt="">{% endif %}
<svg class="esc-mark art" width="16mm" height="5mm" viewBox="0 0 64 20">
  <rect width="64" height="20" rx="3" fill="#0b3d91"/>
  <g>""" + ESC_MARK + """</g>
  <text x="24" y="14.5" font-family="CardSans" font-weight="700" font-size="11"
        fill="#ffffff">ESC</text>
</svg>
{% if escn %}<div class="escn"><span class="label">{{ escn_label }}</span>
  {% fit escn width=38 max=5 min=3.5 face="condensed" %}</div>{% endif %}
{% if valid_until %}<div class="validity">{{ valid_label }}
  <strong>{{ valid_until }}</strong></div>{% endif %}
<div class="footer">{% fit establishment width=40 max=6 min=4.5 %}</div>
<div class="wallet">izly</div>
"""

BACK_HTML = """\
<div class="bleed art"><svg class="art" width="87.6mm" height="55.98mm" viewBox="0 0 876 560">
  <rect width="876" height="560" fill="#f5f8fa"/>
  <rect y="500" width="876" height="60" fill="#14557a"/></svg></div>
<div class="back-text">{{ free_text|linebreaksbr }}</div>
<div class="back-establishment">{% fit establishment width=50 max=7 min=5 %}</div>
<div class="chip-type">MIFARE DESFire EV2</div>
"""

CSS = """\
.band-art .art { display: block }
.logo { position: absolute; left: 3.5mm; top: 2.2mm; width: 7mm; height: 7mm }
.establishment-band { position: absolute; left: 12mm; top: 3.6mm; width: 46mm; color: #fff;
  font-weight: 700 }
.population-band { position: absolute; left: 63mm; top: 4.2mm; width: 18mm; color: #fff;
  text-align: right }
.photo-box { position: absolute; left: 4mm; top: 14mm; width: 20mm; height: 25.7mm;
  background: #e6edf2 }
.photo { width: 20mm; height: 25.7mm; object-fit: cover; display: block }
.identity { position: absolute; left: 27mm; top: 14mm; width: 37mm }
.last-name { font-weight: 700; color: #14557a }
.first-name { margin-bottom: 1.2mm }
.identity .line { font-size: 6.2pt; white-space: nowrap; overflow: hidden;
  text-overflow: ellipsis }
.qr { position: absolute; left: 66mm; top: 13mm; width: 16.5mm; height: 16.5mm }
.esc-mark { position: absolute; left: 66.25mm; top: 30.5mm }
.escn { position: absolute; left: 27mm; top: 36.6mm; width: 38mm; color: #333 }
.escn .label { font-size: 4pt; text-transform: uppercase; letter-spacing: 0.2pt }
.validity { position: absolute; left: 4mm; top: 40.6mm; width: 22mm; font-size: 5.2pt;
  white-space: nowrap; overflow: hidden; text-overflow: ellipsis }
.footer { position: absolute; left: 4mm; top: 46.5mm; width: 40mm; color: #14557a }
.wallet { position: absolute; left: 46mm; top: 46.2mm; width: 10mm; height: 3.6mm;
  border-radius: 1.8mm; background: #e8a33d; color: #fff; font-weight: 700;
  font-size: 6pt; text-align: center; line-height: 3.6mm }
.back-text { position: absolute; left: 5mm; top: 5mm; width: 52mm; font-size: 6pt;
  line-height: 1.35; max-height: 30mm; overflow: hidden }
.back-establishment { position: absolute; left: 5mm; top: 40mm; width: 50mm;
  color: #14557a }
.chip-type { position: absolute; left: 62mm; top: 50.2mm; width: 20mm; color: #fff;
  font-size: 5pt; text-align: right }
"""

FREE_TEXT = (
    "This card is personal. If found, please return it to the card office.\n"
    "Cette carte est personnelle. Si vous la trouvez, rapportez-la au bureau des cartes.")

# Left empty by the printer: the ESC hologram on the front, the embedded chip module on the back.
ZONES = [
    {"side": "front", "kind": "hologram", "label": "ESC hologram",
     "x": 68.0, "y": 38.0, "width": 12.0, "height": 12.0},
    {"side": "back", "kind": "chip", "label": "chip module",
     "x": 62.0, "y": 18.0, "width": 15.0, "height": 13.0},
]


def create_default_template(card_template_model, version_model):
    """Creates the default template unless its code exists; takes the (historical) models so
    that the data migration can call it too."""
    template, created = card_template_model.objects.get_or_create(
        code=CODE, defaults={"name": NAME, "priority": 0})
    if created or not version_model.objects.filter(template=template).exists():
        version_model.objects.create(template=template, number=1, front_html=FRONT_HTML,
                                     back_html=BACK_HTML, css=CSS, free_text=FREE_TEXT,
                                     logo_svg=LOGO_SVG, zones=ZONES)
    return template


@transaction.atomic
def ensure_default_template():
    from campuscard.printing.models import CardTemplate, CardTemplateVersion

    return create_default_template(CardTemplate, CardTemplateVersion)
