"""Person pictures: /esc-rest/api/v2/organisations/{pic}/person/{esi}/picture."""

import io
from urllib.parse import quote

import pytest
from PIL import Image

from campuscard.router.models import Picture

from .conftest import assert_error, esi, jpeg, person_body


def picture(pic, identifier):
    return f"/organisations/{pic}/person/{quote(identifier, safe=':@')}/picture"


def png(width, height):
    buffer = io.BytesIO()
    Image.new("RGBA", (width, height), (200, 40, 40, 128)).save(buffer, "PNG")
    return buffer.getvalue()


def test_a_picture_is_cropped_scaled_stored_read_and_deleted(router_a, est_a, alice):
    response = router_a.upload(picture(est_a.pic, alice), jpeg(600, 800), "?resize=true")
    assert response.status_code == 201
    assert isinstance(response.json(), str)

    stored = router_a.get(picture(est_a.pic, alice))
    assert stored.status_code == 200
    assert stored["Content-Type"] == "application/octet-stream"
    image = Image.open(io.BytesIO(stored.content))
    assert (image.format, image.size) == ("JPEG", (200, 300))
    [entry] = router_a.get(f"/persons/{quote(alice, safe=':@')}").json()["organisations"]
    assert entry["hasPicture"] is True

    assert router_a.delete(picture(est_a.pic, alice)).status_code == 204
    assert_error(router_a.get(picture(est_a.pic, alice)), 404, "ER-0001")
    assert_error(router_a.delete(picture(est_a.pic, alice)), 404, "ER-0001")


def test_resizing_keeps_the_centre_of_a_wide_picture(router_a, est_a, alice):
    wide = Image.new("RGB", (900, 300), (255, 0, 0))
    wide.paste((0, 0, 255), (300, 0, 600, 300))  # a blue middle third
    buffer = io.BytesIO()
    wide.save(buffer, "PNG")
    router_a.upload(picture(est_a.pic, alice), buffer.getvalue(), "?resize=true")
    image = Image.open(io.BytesIO(router_a.get(picture(est_a.pic, alice)).content))
    red, _green, blue = image.convert("RGB").getpixel((100, 150))
    assert blue > 200 and red < 60


def test_a_new_picture_replaces_the_old_one(router_a, est_a, alice):
    router_a.upload(picture(est_a.pic, alice), jpeg(200, 300, (255, 0, 0)))
    router_a.upload(picture(est_a.pic, alice), png(400, 600), "?resize=true")
    assert Picture.objects.count() == 1
    image = Image.open(io.BytesIO(router_a.get(picture(est_a.pic, alice)).content))
    assert image.convert("RGB").getpixel((100, 150))[1] > 100  # flattened on white, not red


def test_without_resize_the_picture_must_be_200_by_300(router_a, est_a, alice):
    assert router_a.upload(picture(est_a.pic, alice), jpeg(200, 300)).status_code == 201
    message = assert_error(router_a.upload(picture(est_a.pic, alice), jpeg(300, 200),
                                           "?resize=false"), 400, "ER-0400")
    assert "200 by 300" in message and "resize=true" in message
    assert Picture.objects.count() == 1


@pytest.mark.parametrize(("data", "params"), [(b"not an image", "?resize=true"),
                                              (b"not an image", ""),
                                              (jpeg(600, 900)[:300], "?resize=true")])
def test_what_is_not_a_sound_image_is_refused(router_a, est_a, alice, data, params):
    assert_error(router_a.upload(picture(est_a.pic, alice), data, params), 400)
    assert not Picture.objects.exists()


def test_a_picture_too_small_to_crop_is_refused(router_a, est_a, alice):
    assert_error(router_a.upload(picture(est_a.pic, alice), jpeg(100, 150), "?resize=true"),
                 400)


def test_the_file_field_and_a_clear_resize_are_needed(router_a, est_a, alice):
    path = picture(est_a.pic, alice)
    assert "“file”" in assert_error(router_a.upload(path, jpeg(200, 300), field="photo"), 400)
    assert_error(router_a.upload(path, jpeg(200, 300), "?resize=maybe"), 400)
    assert not Picture.objects.exists()


def test_an_unknown_person_has_no_picture(router_a, est_a):
    assert_error(router_a.get(picture(est_a.pic, esi("404"))), 404, "ER-0001")
    assert_error(router_a.upload(picture(est_a.pic, esi("404")), jpeg(200, 300)), 404)


def test_a_malformed_esi_is_a_bad_request(router_a, est_a):
    assert_error(router_a.get(picture(est_a.pic, "1000000001A")), 400)


# --- one picture per person and organisation; isolation -------------------------------------

def test_each_organisation_keeps_its_own_picture_of_a_person(router_a, router_b, est_a, est_b,
                                                             alice):
    router_b.post("/persons", person_body(est_b.pic, alice))
    router_a.upload(picture(est_a.pic, alice), jpeg(200, 300, (255, 0, 0)))
    router_b.upload(picture(est_b.pic, alice), jpeg(200, 300, (0, 0, 255)))
    assert Picture.objects.count() == 2
    router_b.delete(picture(est_b.pic, alice))
    assert router_a.get(picture(est_a.pic, alice)).status_code == 200


def test_another_organisations_pictures_are_out_of_reach(router_a, router_b, est_a, est_b,
                                                         alice):
    router_a.upload(picture(est_a.pic, alice), jpeg(200, 300))
    # B's key on A's organisation path, and on its own path for a person it never registered.
    for path in (picture(est_a.pic, alice), picture(est_b.pic, alice)):
        assert_error(router_b.get(path), 403, "SE-0000")
        assert_error(router_b.upload(path, jpeg(200, 300)), 403, "SE-0000")
        assert_error(router_b.delete(path), 403, "SE-0000")
    assert Picture.objects.count() == 1


def test_pictures_need_a_key(anonymous, est_a, alice):
    path = picture(est_a.pic, alice)
    assert_error(anonymous.get(path), 401)
    assert_error(anonymous.upload(path, jpeg(200, 300)), 401)
    assert_error(anonymous.delete(path), 401)
