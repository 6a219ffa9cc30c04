"""Card templates rendered with WeasyPrint at CR80 size: PDF, PNG at 300 dpi, YMCKO panels;
the QR decoded from the PNG with zxing-cpp; fitting, choosing, versions, escaping."""

import datetime
import gc
import io
import threading
from concurrent.futures import ThreadPoolExecutor

import pypdfium2
import pytest
import zxingcpp
from django.core.exceptions import ValidationError
from django.template import TemplateSyntaxError
from PIL import Image

from campuscard.cards.states import State
from campuscard.esc.qr import card_verify_url
from campuscard.people.services import set_consent
from campuscard.printing import defaults, geometry, raster
from campuscard.printing.checks import check_zones, content_boxes
from campuscard.printing.choosing import NoTemplate, choose_template
from campuscard.printing.fitting import ELLIPSIS, fit_text
from campuscard.printing.models import CardTemplate
from campuscard.printing.rendering import (
    PREVIEW,
    card_html,
    layout,
    render_panels,
    render_pdf,
    render_png,
    version_for,
)
from campuscard.printing.services import record_print, save_template_version

from ..conftest import actor, card_in_state, make_person
from .pixels import differing_pixels

LONG_NAME = "Marie-Dominique-Alexandrine de La Tour d'Auvergne-Lauraguais"
MM_TO_PT = 72 / 25.4


@pytest.fixture
def card(student, manager_a):
    student.birth_date = datetime.date(1994, 7, 14)
    student.student_id = "12345678"
    student.rights_end = datetime.date(2027, 8, 31)
    student.save()
    set_consent(student, actor(student.user), "esc", True)
    return card_in_state(student, State.IN_PRINT, manager_a)


def default_templates():
    return CardTemplate.objects.filter(code=defaults.CODE)


def decode(png):
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert [barcode.format for barcode in found] == [zxingcpp.BarcodeFormat.QRCode]
    return found[0].text


def test_the_migration_creates_the_default_template(db):
    template = CardTemplate.objects.get(code=defaults.CODE)
    assert template.current_version.number == 1
    assert defaults.ensure_default_template() == template
    assert template.versions.count() == 1


def test_every_default_template_renders_a_cr80_pdf_front_then_back(card):
    for template in default_templates():
        pdf = pypdfium2.PdfDocument(render_pdf(card, template.current_version))
        assert len(pdf) == 2
        for page in pdf:
            width, height = page.get_size()
            assert width == pytest.approx(85.6 * MM_TO_PT, abs=0.05)
            assert height == pytest.approx(53.98 * MM_TO_PT, abs=0.05)


def test_every_default_template_renders_pngs_at_300_dpi_with_a_readable_qr(card):
    for template in default_templates():
        version = template.current_version
        front = render_png(card, "front", version=version)
        back = render_png(card, "back", version=version)
        for png in (front, back):
            width, height = Image.open(io.BytesIO(png)).size
            assert abs(width - 1011) <= 1 and abs(height - 638) <= 1
        assert decode(front) == card_verify_url(card)
        assert decode(front).endswith(str(card.escn))


def test_the_default_template_shows_the_leocarte_fields(card):
    html = card_html(card, version_for(card))
    for shown in ("MARTIN", "Alice", "Born on 14/07/1994", "Student no. : 12345678",
                  "PIC : 999859608 FR", str(card.escn), "Valid until", "31/08/2027",
                  "Université A", "ESC", "izly", "DESFire"):
        assert shown in html


def test_the_default_template_keeps_out_of_its_zones(card):
    assert check_zones(card) == []
    page = layout(card).pages[0]
    texts = [content for content, _ in content_boxes(page)]
    assert "MARTIN" in texts and "<img>" in texts  # the check does see the content


def test_text_in_a_zone_is_reported(card):
    template = CardTemplate.objects.get(code=defaults.CODE)
    version = save_template_version(
        template, front_html='<p style="position:absolute;left:70mm;top:40mm">{{ pic }}</p>')
    overlaps = check_zones(card, version)
    assert [(o.side, o.zone) for o in overlaps] == [("front", "ESC hologram")] * len(overlaps)
    assert overlaps and "999859608" in "".join(o.content for o in overlaps)


def test_the_zones_are_outlined_in_the_preview_only(card):
    version = version_for(card)
    assert 'class="zone zone-hologram"' in card_html(card, version, PREVIEW)
    assert "zone-hologram" not in card_html(card, version)


def test_a_short_name_keeps_the_largest_size():
    fitted = fit_text("MARTIN", 37, max_pt=10, min_pt=6)
    assert (fitted.size_pt, fitted.text, fitted.cut) == (10, "MARTIN", False)


def test_a_longer_name_shrinks_before_it_is_cut():
    fitted = fit_text("DE LA TOUR D'AUVERGNE", 37, max_pt=10, min_pt=6)
    assert 6 <= fitted.size_pt < 10 and not fitted.cut


def test_a_very_long_name_shrinks_to_the_minimum_then_is_cut(card):
    fitted = fit_text(LONG_NAME.upper(), 37, max_pt=10, min_pt=6)
    assert fitted.size_pt == 6 and fitted.cut
    assert fitted.text.endswith(ELLIPSIS) and LONG_NAME.upper().startswith(fitted.text[:-1])
    card.person.last_name = LONG_NAME
    card.person.save()
    html = card_html(card, version_for(card))
    assert (f'<span class="fit fit-cut" style="font-size: 6.0pt; max-width: 37mm" '
            f'data-size="6.0">{fitted.text}</span>') in html.replace("&#x27;", "'")
    assert decode(render_png(card, "front")) == card_verify_url(card)  # still scannable


def test_variables_are_escaped(card):
    card.person.first_name = "<script>alert(1)</script>"
    card.person.save()
    html = card_html(card, version_for(card))
    assert "<script>" not in html
    assert "&lt;script&gt;" in html


def test_templates_cannot_mark_values_safe_nor_load_tags(card):
    template = CardTemplate.objects.get(code=defaults.CODE)
    for source in ("{{ first_name|safe }}", "{% load static %}", "{% include 'x.html' %}"):
        version = save_template_version(template, front_html=source)
        with pytest.raises(TemplateSyntaxError, match=r"safe|load|include"):
            card_html(card, version)


def test_panels_exist_at_the_cards_size(card):
    panels = render_panels(card)
    assert set(panels) == {"color", "black", "overlay", "back_color", "back_black"}
    for name, png in panels.items():
        image = Image.open(io.BytesIO(png))
        assert image.size == geometry.page_size_px(300), name
    assert Image.open(io.BytesIO(panels["black"])).mode == "1"
    assert decode(panels["black"]) == card_verify_url(card)
    overlay = Image.open(io.BytesIO(panels["overlay"]))
    hologram_centre = (round(geometry.mm_to_px(74, 300)), round(geometry.mm_to_px(44, 300)))
    assert overlay.getpixel(hologram_centre) == 0  # a hole where the hologram goes
    assert overlay.getpixel((100, 100)) == 255  # varnish elsewhere


def test_threads_rasterising_at_once_each_get_the_card_one_thread_gets(card):
    """PDFium is not thread-safe: the requests of a threaded server take turns with it
    (raster.PDFIUM; without it, five runs of this test out of six crashed the process or
    failed to load the PDF)."""
    pdf = render_pdf(card)

    def rasterise():
        return raster.color_pngs(pdf, 300) + raster.black_pngs(pdf, 300)

    alone = rasterise()
    barrier = threading.Barrier(4)

    def rasterise_together():
        barrier.wait()
        return [rasterise() for _ in range(8)]

    gc.collect()  # an earlier test's pdfium objects are not finalised by one of these threads
    with ThreadPoolExecutor(4) as pool:
        runs = [run for future in [pool.submit(rasterise_together) for _ in range(4)]
                for run in future.result()]
    assert len(runs) == 32
    for run in runs:
        assert decode(run[2]) == card_verify_url(card)
        for number, (png, expected) in enumerate(zip(run, alone, strict=True)):
            assert Image.open(io.BytesIO(png)).size == geometry.page_size_px(300)
            # Pixels, not PNG bytes, and a few of them spared: comparing bytes failed once on
            # CI and never in a thousand runs here, whereas two threads in PDFium at once
            # crash or fail to load the document rather than shift a pixel.
            assert differing_pixels(png, expected) <= ONE_IN_A_THOUSAND, number


ONE_IN_A_THOUSAND = geometry.page_size_px(300)[0] * geometry.page_size_px(300)[1] // 1000


def test_editing_makes_a_new_version_and_a_print_keeps_its_own(card, manager_a):
    template = CardTemplate.objects.get(code=defaults.CODE)
    first = template.current_version
    printed = record_print(card, by=manager_a)
    assert printed.version == first and printed.values["last_name"] == "MARTIN"
    second = save_template_version(template, by=manager_a, css=first.css + ".x{}")
    assert second.number == 2 and template.current_version == second
    assert second.front_html == first.front_html
    card.person.last_name = "Durand"
    card.person.save()
    assert version_for(card) == first  # a reprint uses the version it was printed with
    assert "MARTIN" in card_html(card, version_for(card))  # and the values frozen then
    assert record_print(card).values == printed.values
    first.css = "changed"
    with pytest.raises(ValidationError):
        first.save()


def test_bad_zones_are_refused(db):
    template = CardTemplate.objects.get(code=defaults.CODE)
    with pytest.raises(ValidationError):
        save_template_version(template, zones=[{"side": "front", "kind": "chip", "x": 80,
                                                "y": 0, "width": 20, "height": 5}])
    assert template.versions.count() == 1


def make_template(code, *, establishment=None, populations=(), key="", priority=0):
    template = CardTemplate.objects.create(code=code, name=code, establishment=establishment,
                                           key=key, priority=priority)
    template.populations.set(populations)
    save_template_version(template, front_html=code)
    return template


def test_choose_template_by_key_then_population_then_establishment_then_global(
        est_a, est_b, students, staff_population):
    person = make_person("dora", est_a, students, card_template="visitor")
    assert choose_template(person).code == defaults.CODE  # the global default
    make_template("b-only", establishment=est_b, priority=99)
    make_template("staff-a", establishment=est_a, populations=[staff_population])
    assert choose_template(person).code == defaults.CODE
    make_template("global-students", populations=[students])
    assert choose_template(person).code == "global-students"
    make_template("a-all", establishment=est_a)
    assert choose_template(person).code == "a-all"
    make_template("a-students", establishment=est_a, populations=[students])
    make_template("a-students-high", establishment=est_a, populations=[students], priority=5)
    assert choose_template(person).code == "a-students-high"
    make_template("other-key", key="alumni", priority=100)
    assert choose_template(person).code == "a-students-high"
    make_template("visitor", key="visitor")
    assert choose_template(person).code == "visitor"
    assert choose_template(person, est_b).code == "visitor"


def test_no_template_is_a_clear_error(est_a, students):
    CardTemplate.objects.update(active=False)
    with pytest.raises(NoTemplate):
        choose_template(make_person("eve", est_a, students))


def test_importing_weasyprint_leaves_pillow_strict_on_truncated_photos():
    from PIL import ImageFile

    import campuscard.printing.checks
    import campuscard.printing.rendering  # noqa: F401

    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


def test_a_batch_pdf_has_front_then_back_per_card(card, other_student, manager_a):
    from campuscard.printing.rendering import render_batch_pdf

    other = card_in_state(other_student, State.IN_PRINT, manager_a)
    pdf = pypdfium2.PdfDocument(render_batch_pdf([card, other]))
    assert len(pdf) == 4
    texts = [pdf[index].get_textpage().get_text_range() for index in range(4)]
    assert "Alice" in texts[0] and "Bob" in texts[2]
    assert "personal" in texts[1] and "personal" in texts[3]
