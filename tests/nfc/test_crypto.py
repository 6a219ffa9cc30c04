"""Every published vector of docs/nfc.md (NXP AN10922, AN12343, proxmark3's suite)."""

import pytest

from campuscard.nfc.desfire import crypto

h = bytes.fromhex

# AN12343 p.33-34: an EV2 authentication with the zero key.
EV2_KEY = bytes(16)
EV2_RND_A = h("B04D0787C93EE0CC8CACC8E86F16C6FE")
EV2_RND_B = h("FA659AD0DCA738DD65DC7DC38612AD81")
# AN12343 p.54: a WriteData (8D) then a ReadData (AD) in MAC mode.
EV2_MAC_KEY = h("9366FA195EB566F5BD2BAD4020B83002")
EV2_TI = h("E2D3AF69")
# AN10922 §2.2.1, §2.4.1, §2.5.1.
AN10922_KEY = h("00112233445566778899AABBCCDDEEFF")
AN10922_UID_AID = h("04782E21801D80") + h("3042F5")


def test_crc32_matches_the_published_value():
    assert crypto.crc32(h("04440F32763180") + b"\x00") == h("99CE1AD4")


def test_crc32_is_zlibs_without_the_final_xor():
    import zlib
    data = b"campus card"
    assert int.from_bytes(crypto.crc32(data), "little") == zlib.crc32(data) ^ 0xFFFFFFFF


def test_ev2_session_vector_and_keys():
    sv1, sv2 = crypto.ev2_session_vectors(EV2_RND_A, EV2_RND_B)
    assert sv1 == h("A55A00010080B04DFDE253EE3C6B38DD65DC7DC38612AD818CACC8E86F16C6FE")
    assert sv2[:2] == h("5AA5") and sv2[2:] == sv1[2:]
    enc_key, mac_key = crypto.ev2_session_keys(EV2_KEY, EV2_RND_A, EV2_RND_B)
    assert enc_key == h("63DC07286289A7A6C0334CA31C314A04")
    assert mac_key == h("774F26743ECE6AF5033B6AE8522946F6")


@pytest.mark.parametrize(("ins", "cmd_ctr", "data", "expected"), [
    (0x8D, 0, h("00000000190000") + b"\x22" * 25, "68F2C28C575A1628"),
    (0x00, 1, b"", "0820F68898C2A7F1"),
    (0xAD, 1, h("00000000300000"), "0D9BE191D5960834"),
])
def test_ev2_mac_t(ins, cmd_ctr, data, expected):
    assert crypto.ev2_mac_t(EV2_MAC_KEY, ins, cmd_ctr, EV2_TI, data) == h(expected)


def test_ev2_mac_t_of_a_response_with_data():
    # AN12343 p.54: the ReadData answer, the 25 bytes written then zeros (status 00, counter 2).
    mac = crypto.ev2_mac_t(EV2_MAC_KEY, 0x00, 2, EV2_TI, b"\x22" * 25 + bytes(23))
    assert mac == h("A49A44222D926666")


def test_ev2_iv_of_a_command():
    iv = crypto.ev2_iv(h("66A8CB93269DC9BC2885B7A91B9C697B"), h("ED56F6E6"), 0)
    assert iv == h("DA0F644A4986275957CF1EC3AF4CCE53")


def test_ev2_iv_of_a_response_uses_the_other_label():
    key, ti = h("66A8CB93269DC9BC2885B7A91B9C697B"), h("ED56F6E6")
    expected = crypto.ecb_encrypt(key, h("5AA5") + ti + h("0100") + bytes(8))
    assert crypto.ev2_iv(key, ti, 1, response=True) == expected


def test_cmac_subkeys_of_an10922():
    assert crypto.cmac_subkeys(AN10922_KEY) == (
        h("FBC9F75C9413C041DFEE452D3F0706D1"), h("F793EEB928278083BFDC8A5A7E0E0D25"))


def test_cmac_of_nist_sp800_38b():
    key = h("2B7E151628AED2A6ABF7158809CF4F3C")
    assert crypto.cmac(key, b"") == h("BB1D6929E95937287FA37D129B756746")
    assert crypto.cmac(key, h("6BC1BEE22E409F96E93D7E117393172A")) == h(
        "070A16B46B4D4144F79BDD9DD04A287C")


def test_tdes_cmac_of_nist_sp800_38b():
    # SP 800-38B D.4, three-key TDEA: the empty message and one block.
    key = h("8AA83BF8CBDA10620BC1BF19FBB6CD58BC313D4A371CA8B5")
    assert crypto.cmac(key, b"", crypto.Algorithm.TDES) == h("B7A688E122FFAF95")
    assert crypto.cmac(key, h("6BC1BEE22E409F96"), crypto.Algorithm.TDES) == h("8E8F293136283797")


def test_diversify_aes_an10922():
    m = AN10922_UID_AID + h("4E585020416275")
    assert crypto.diversify_aes(AN10922_KEY, m) == h("A8DD63A3B89D54B37CA802473FDA9175")


def test_diversify_2tdea_an10922():
    key = crypto.diversify_tdes(AN10922_KEY, AN10922_UID_AID + b"NXP A")
    assert key == h("16F9587D9E8910C96B9649D007107DD6")


def test_diversify_3tdea_an10922():
    master = AN10922_KEY + h("0102030405060708")
    key = crypto.diversify_tdes(master, AN10922_UID_AID + b"NXP")
    assert key == h("2E0DD03774D3FA9B5705AB0BDA91CA0B55B8E07FCDBF10EC")


def test_diversify_refuses_inputs_of_the_wrong_size():
    with pytest.raises(ValueError):
        crypto.diversify_aes(AN10922_KEY, b"")
    with pytest.raises(ValueError):
        crypto.diversify_aes(AN10922_KEY, bytes(32))
    with pytest.raises(ValueError):
        crypto.diversify_tdes(bytes(8), b"x")


def test_ev1_session_keys_take_the_documented_bytes():
    a, b = bytes(range(16)), bytes(range(16, 32))
    assert crypto.ev1_session_key(a, b, "aes") == a[0:4] + b[0:4] + a[12:16] + b[12:16]
    assert crypto.ev1_session_key(a, b, "2tdea") == a[0:4] + b[0:4] + a[4:8] + b[4:8]
    assert crypto.ev1_session_key(a, b, "3tdea") == (
        a[0:4] + b[0:4] + a[6:10] + b[6:10] + a[12:16] + b[12:16])
    assert crypto.ev1_session_key(a[:8], b[:8], "des") == a[0:4] + b[0:4]


def test_legacy_send_is_undone_by_the_card():
    key = h("0011223344556677")
    data = bytes(range(24))
    sent = crypto.legacy_send(key, data)
    assert sent != data
    assert crypto.legacy_unsend(key, sent) == data


def test_key_versions_live_in_the_parity_bits():
    key = crypto.set_key_version(bytes(16), 0xA5)
    assert crypto.key_version(key) == 0xA5
    assert key[:8] != key[8:]  # still a two-key TDEA key


def test_iso_padding_always_adds_a_byte():
    assert crypto.pad_iso(bytes(16)) == bytes(16) + b"\x80" + bytes(15)
    assert crypto.unpad_iso(crypto.pad_iso(b"abc")) == b"abc"
    with pytest.raises(ValueError):
        crypto.unpad_iso(bytes(16))


def test_dam_enc_k_puts_the_version_after_the_key():
    dam_enc_key, app_key, random7 = bytes(range(16)), bytes(range(16, 32)), bytes(7)
    enc_k = crypto.dam_enc_k(dam_enc_key, app_key, 3, random7)
    plain = crypto.cbc_decrypt(dam_enc_key, bytes(16), enc_k)
    assert len(enc_k) == 32
    assert plain == random7 + app_key + b"\x03" + bytes(8)


def test_dam_mac_covers_the_command_the_frame_and_enc_k():
    key, frame, enc_k = bytes(16), h("010203000000FF1000") + h("0B84"), bytes(32)
    expected = crypto.cmac(key, b"\xc9" + frame + enc_k)[1::2]
    assert crypto.dam_mac(key, frame, enc_k) == expected
    assert crypto.dam_mac(key, frame[:-1] + b"\x85", enc_k) != expected
