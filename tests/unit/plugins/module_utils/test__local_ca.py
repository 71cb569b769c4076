# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import datetime
import os
import stat

import pytest

from ansible_collections.korczewski.platform.plugins.module_utils.tls.local_ca import cert_reasons, converge, load_cert, load_key

x509 = pytest.importorskip("cryptography.x509")


@pytest.fixture
def paths(tmp_path):
    return {"ca_key": str(tmp_path / "local-ca" / "ca.key"), "ca_cert": str(tmp_path / "local-ca" / "ca.crt"),
            "key": str(tmp_path / "traefik" / "certs" / "local.key"), "cert": str(tmp_path / "traefik" / "certs" / "local.crt")}


def run(paths, domain="platform.localhost", cert_days=397, renew_days=30, check_mode=False):
    return converge(paths, "test CA", 3650, domain, cert_days, renew_days, check_mode=check_mode)


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_creates_a_verifiable_wildcard_certificate_then_keeps_it(paths):
    assert run(paths, check_mode=True)["changed"]
    assert not os.path.exists(os.path.dirname(paths["ca_key"]))
    first = run(paths)
    assert first["changed"] and first["ca_changed"] and first["cert_changed"]
    ca, cert = load_cert(paths["ca_cert"]), load_cert(paths["cert"])
    cert.verify_directly_issued_by(ca)
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName)
    assert sorted(names) == ["*.platform.localhost", "platform.localhost"]
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    ca_usage = ca.extensions.get_extension_for_class(x509.KeyUsage).value
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert ca_usage.key_cert_sign and ca_usage.crl_sign and not ca_usage.digital_signature
    assert usage.digital_signature and not usage.key_cert_sign and not usage.crl_sign
    assert [mode(paths[p]) for p in ("ca_key", "ca_cert", "key", "cert")] == [0o600, 0o644, 0o600, 0o644]
    assert mode(os.path.dirname(paths["key"])) == 0o700
    assert mode(os.path.dirname(os.path.dirname(paths["key"]))) == 0o750
    before = [open(paths[p], "rb").read() for p in paths]
    again = run(paths)
    assert again == {"changed": False, "ca_changed": False, "cert_changed": False, "reasons": []}
    assert [open(paths[p], "rb").read() for p in paths] == before


def test_a_new_domain_signs_again_with_the_same_ca_and_key(paths):
    run(paths)
    ca, key = open(paths["ca_cert"], "rb").read(), open(paths["key"], "rb").read()
    result = run(paths, domain="example.test", check_mode=True)
    assert result["cert_changed"] and not result["ca_changed"]
    assert "the certificate's names changed" in result["reasons"]
    run(paths, domain="example.test")
    assert open(paths["ca_cert"], "rb").read() == ca and open(paths["key"], "rb").read() == key
    assert load_cert(paths["cert"]).subject.rfc4514_string() == "CN=example.test"


def test_a_certificate_close_to_its_end_is_renewed(paths):
    run(paths, cert_days=10, renew_days=5)
    assert not run(paths, cert_days=10, renew_days=5)["changed"]
    result = run(paths, cert_days=10, renew_days=20)
    assert result["cert_changed"] and any("expires" in r for r in result["reasons"])


def test_a_replaced_ca_key_makes_the_ca_and_the_certificate_again(paths):
    run(paths)
    os.unlink(paths["ca_key"])
    result = run(paths)
    assert result["ca_changed"] and result["cert_changed"]
    load_cert(paths["cert"]).verify_directly_issued_by(load_cert(paths["ca_cert"]))


def test_loose_modes_are_fixed(paths):
    run(paths)
    os.chmod(paths["key"], 0o644)
    result = run(paths)
    assert result["changed"] and not result["cert_changed"]
    assert mode(paths["key"]) == 0o600


def test_a_certificate_signed_by_another_ca_is_told_apart_from_one_of_the_current_ca(paths, tmp_path):
    run(paths)
    other = dict((name, str(tmp_path / "other" / os.path.basename(path))) for name, path in paths.items())
    run(other)
    cert, key = load_cert(paths["cert"]), load_key(paths["key"], "secp256r1")
    week = datetime.timedelta(days=7)
    assert cert_reasons(cert, key, load_cert(paths["ca_cert"]), ["platform.localhost"], week) == []
    assert cert_reasons(cert, key, load_cert(other["ca_cert"]), ["platform.localhost"], week) == [
        "the certificate is not signed by the current CA"]
