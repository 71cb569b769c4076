# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A local certificate authority and one server certificate signed by it, kept on disk.

Existing valid files are kept; what is missing, unusable, about to expire or no longer matching
(names, key, issuing CA) is made again. Needs the `cryptography` package on the host (as
community.crypto does). Private to korczewski.platform.
"""

from __future__ import annotations

import datetime
import os
import stat
import tempfile

try:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
    HAS_CRYPTOGRAPHY = True
except ImportError:  # pragma: no cover - reported by the module
    HAS_CRYPTOGRAPHY = False

CURVES = {"secp384r1": "SECP384R1", "secp256r1": "SECP256R1"}


def _now():
    return datetime.datetime.now(datetime.timezone.utc)


def _read(path):
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except (IOError, OSError):
        return None


def _write(path, data, mode):
    """Atomically, with its mode from the start; parents are made 0750, the file's directory 0700."""
    directory = os.path.dirname(path)
    if not os.path.isdir(directory):
        parent = os.path.dirname(directory)
        if not os.path.isdir(parent):
            os.makedirs(parent, 0o750)
        os.mkdir(directory, 0o700)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _not_after(cert):
    value = getattr(cert, "not_valid_after_utc", None)
    return value if value is not None else cert.not_valid_after.replace(tzinfo=datetime.timezone.utc)


def _curve(name):
    return getattr(ec, CURVES[name])()


def load_key(path, curve):
    """The EC private key at path when it is one of the wanted curve, else None."""
    data = _read(path)
    if data is None:
        return None
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        return None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != curve:
        return None
    return key


def load_cert(path):
    data = _read(path)
    if data is None:
        return None
    try:
        return x509.load_pem_x509_certificate(data)
    except ValueError:
        return None


def _same_key(cert, key):
    fmt = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return cert.public_key().public_bytes(*fmt) == key.public_key().public_bytes(*fmt)


def _common_name(cert):
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return names[0].value if names else None


def _dns_names(cert):
    try:
        return sorted(cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName))
    except x509.ExtensionNotFound:
        return []


def _signed_by(cert, ca_cert):
    # The CA key is an EC key (make_ca); the signature is checked by hand because
    # Certificate.verify_directly_issued_by needs cryptography 40, and a node's Debian ships 38.
    if cert.issuer != ca_cert.subject:
        return False
    public = ca_cert.public_key()
    if not isinstance(public, ec.EllipticCurvePublicKey):
        return False
    try:
        public.verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(cert.signature_hash_algorithm))
        return True
    except Exception:  # pylint: disable=broad-except
        # cryptography raises InvalidSignature, which lives in another module per version.
        return False


def ca_reasons(cert, key, common_name, renew_before):
    """Why the CA certificate must be made again; empty when it is fine."""
    if cert is None:
        return ["the CA certificate is missing or unreadable"]
    reasons = []
    if not _same_key(cert, key):
        reasons.append("the CA certificate does not match the CA key")
    if _common_name(cert) != common_name:
        reasons.append("the CA's name changed")
    if _not_after(cert) < _now() + renew_before:
        reasons.append("the CA certificate expires on %s" % _not_after(cert).date())
    return reasons


def cert_reasons(cert, key, ca_cert, names, renew_before):
    """Why the server certificate must be signed again; empty when it is fine."""
    if cert is None:
        return ["the certificate is missing or unreadable"]
    reasons = []
    if not _same_key(cert, key):
        reasons.append("the certificate does not match its key")
    if not _signed_by(cert, ca_cert):
        reasons.append("the certificate is not signed by the current CA")
    if _common_name(cert) != names[0] or _dns_names(cert) != sorted(names + ["*." + names[0]]):
        reasons.append("the certificate's names changed")
    if _not_after(cert) < _now() + renew_before:
        reasons.append("the certificate expires on %s" % _not_after(cert).date())
    return reasons


def _pem_key(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                             serialization.NoEncryption())


def _key_usage(**wanted):
    """x509 KeyUsage with only the named usages set."""
    usages = dict((name, False) for name in ("digital_signature", "content_commitment", "key_encipherment",
                                             "data_encipherment", "key_agreement", "key_cert_sign", "crl_sign",
                                             "encipher_only", "decipher_only"))
    usages.update(wanted)
    return x509.KeyUsage(**usages)


def make_ca_cert(key, common_name, days):
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = _now()
    return (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_key_usage(key_cert_sign=True, crl_sign=True), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))


def make_server_cert(key, ca_cert, ca_key, domain, days):
    now = _now()
    return (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, domain)]))
            .issuer_name(ca_cert.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=days))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("*." + domain), x509.DNSName(domain)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=False)
            .add_extension(_key_usage(digital_signature=True), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))


def _key_or_new(path, curve, what, reasons):
    """(key, whether it is new): the usable key at path, or a new one with the reason added."""
    key = load_key(path, curve)
    if key is not None:
        return key, False
    reasons.append("%s is missing or unusable" % what)
    return ec.generate_private_key(_curve(curve)), True


def converge(paths, ca_common_name, ca_days, domain, cert_days, renew_days, check_mode=False):
    """Brings the four files to their state. paths: ca_key, ca_cert, key, cert.

    Returns {changed, ca_changed, cert_changed, reasons}; cert_changed means the server's key or
    certificate changed, which a server reads at start.
    """
    renew_before = datetime.timedelta(days=renew_days)
    reasons = []
    ca_key, new_ca_key = _key_or_new(paths["ca_key"], "secp384r1", "the CA key", reasons)
    ca_cert = load_cert(paths["ca_cert"])
    why = ["a new CA key"] if new_ca_key else ca_reasons(ca_cert, ca_key, ca_common_name, renew_before)
    ca_changed = bool(why)
    reasons.extend(why)
    if ca_changed:
        ca_cert = make_ca_cert(ca_key, ca_common_name, ca_days)

    key, new_key = _key_or_new(paths["key"], "secp256r1", "the certificate's key", reasons)
    cert = load_cert(paths["cert"])
    why = ["a new key or CA"] if new_key or ca_changed else cert_reasons(cert, key, ca_cert, [domain], renew_before)
    cert_changed = bool(why)
    reasons.extend(why)

    if not check_mode:
        if new_ca_key:
            _write(paths["ca_key"], _pem_key(ca_key), 0o600)
        if ca_changed:
            _write(paths["ca_cert"], ca_cert.public_bytes(serialization.Encoding.PEM), 0o644)
        if new_key:
            _write(paths["key"], _pem_key(key), 0o600)
        if cert_changed:
            cert = make_server_cert(key, ca_cert, ca_key, domain, cert_days)
            _write(paths["cert"], cert.public_bytes(serialization.Encoding.PEM), 0o644)
    modes_fixed = fix_modes(paths, check_mode)
    reasons.extend("%s had mode %s" % item for item in modes_fixed)
    return {"changed": ca_changed or cert_changed or new_ca_key or new_key or bool(modes_fixed),
            "ca_changed": ca_changed, "cert_changed": cert_changed or new_key, "reasons": reasons}


def fix_modes(paths, check_mode):
    """Keys and their directories private, certificates readable: [(path, old mode)] of those fixed."""
    wanted = [(os.path.dirname(paths["ca_key"]), 0o700), (os.path.dirname(paths["key"]), 0o700),
              (paths["ca_key"], 0o600), (paths["ca_cert"], 0o644), (paths["key"], 0o600), (paths["cert"], 0o644)]
    fixed = []
    for path, mode in wanted:
        try:
            current = stat.S_IMODE(os.stat(path).st_mode)
        except OSError:
            continue
        if current != mode:
            fixed.append((path, "%04o" % current))
            if not check_mode:
                os.chmod(path, mode)
    return fixed
