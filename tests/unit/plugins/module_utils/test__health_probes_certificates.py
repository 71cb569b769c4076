# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The hand-written DER reader for certificate expiry, and the container health rule (no sockets)."""

from __future__ import annotations

import datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ansible_collections.korczewski.platform.plugins.module_utils.health.probes import (
    certificate_not_after,
    container_health,
)

UTC = datetime.timezone.utc


def der_certificate(not_after, long_name=False):
    key = ec.generate_private_key(ec.SECP256R1())
    # A long subject pushes the certificate past 255 bytes, so lengths take the long DER form.
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ztest"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "o" * (60 if long_name else 1))])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(datetime.datetime(2020, 1, 1, tzinfo=UTC)).not_valid_after(not_after)
            .sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.DER)


@pytest.mark.parametrize("not_after", [
    datetime.datetime(2031, 5, 17, 13, 45, 9, tzinfo=UTC),   # UTCTime (before 2050)
    datetime.datetime(2049, 12, 31, 23, 59, 59, tzinfo=UTC),
    datetime.datetime(2051, 2, 3, 4, 5, 6, tzinfo=UTC),      # GeneralizedTime (2050 and later)
])
@pytest.mark.parametrize("long_name", [False, True])
def test_certificate_not_after(not_after, long_name):
    assert certificate_not_after(der_certificate(not_after, long_name)) == not_after.timestamp()


@pytest.mark.parametrize("state, health, expected", [
    ("running", None, "healthy"),
    ("running", "healthy", "healthy"),
    ("running", "starting", "starting"),
    ("running", "unhealthy", "unhealthy"),
    ("exited", "healthy", "exited"),
    ("exited", None, "exited"),
    ("created", None, "created"),
    ("paused", "healthy", "paused"),
    ("restarting", "unhealthy", "restarting"),
])
def test_container_health(state, health, expected):
    assert container_health(state, health) == expected
