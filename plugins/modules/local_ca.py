#!/usr/bin/python
# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: local_ca
short_description: Keep a local CA and a wildcard certificate signed by it, in one call
version_added: 0.1.0
author:
  - korczewski.platform developers (@korczewski)
extends_documentation_fragment:
  - korczewski.platform.attributes
description:
  - Keeps an ECDSA (P-384) certificate authority and an ECDSA (P-256) server certificate for
    O(domain) and C(*.<domain>) signed by it, for a proxy that terminates TLS where no public CA can
    reach (a laptop, a test machine).
  - Existing valid files are kept. A missing or unusable key is made anew; the CA certificate is
    made again when its key or name changed or it expires within O(renew_days); the server
    certificate is signed again when its key, names or issuing CA changed or it expires within
    O(renew_days).
  - Keys are written 0600 and certificates 0644, atomically, in directories of mode 0700.
  - Needs the Python C(cryptography) package on the host.
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
options:
  ca_key:
    description: Path of the CA's private key.
    type: path
    required: true
  ca_cert:
    description: Path of the CA certificate (the file clients trust).
    type: path
    required: true
  ca_common_name:
    description: The CA's common name.
    type: str
    required: true
  ca_days:
    description: Days a new CA certificate is valid.
    type: int
    default: 3650
  key:
    description: Path of the server certificate's private key.
    type: path
    required: true
  cert:
    description: Path of the server certificate.
    type: path
    required: true
  domain:
    description: The certificate's common name; its names are O(domain) and C(*.<domain>).
    type: str
    required: true
  cert_days:
    description: Days a new server certificate is valid.
    type: int
    default: 397
  renew_days:
    description: Make a certificate again this many days before it expires.
    type: int
    default: 30
seealso:
  - module: community.crypto.x509_certificate
"""

EXAMPLES = r"""
- name: A local CA and a wildcard certificate for Traefik
  korczewski.platform.local_ca:
    ca_key: /var/lib/korczewski-platform/state/local-ca/ca.key
    ca_cert: /var/lib/korczewski-platform/state/local-ca/ca.crt
    ca_common_name: korczewski.platform local CA (platform.localhost)
    key: /var/lib/korczewski-platform/state/traefik/certs/local.key
    cert: /var/lib/korczewski-platform/state/traefik/certs/local.crt
    domain: platform.localhost
  register: tls
"""

RETURN = r"""
ca_changed:
  description: Whether the CA certificate was (or would be) made again.
  returned: always
  type: bool
cert_changed:
  description: Whether the server key or certificate was (or would be) made again; a server reads them at start.
  returned: always
  type: bool
reasons:
  description: What was missing or out of date.
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.korczewski.platform.plugins.module_utils.tls.local_ca import HAS_CRYPTOGRAPHY, converge


def main():
    module = AnsibleModule(
        argument_spec=dict(
            ca_key=dict(type='path', required=True),
            ca_cert=dict(type='path', required=True),
            ca_common_name=dict(type='str', required=True),
            ca_days=dict(type='int', default=3650),
            key=dict(type='path', required=True),
            cert=dict(type='path', required=True),
            domain=dict(type='str', required=True),
            cert_days=dict(type='int', default=397),
            renew_days=dict(type='int', default=30),
        ),
        supports_check_mode=True,
    )
    if not HAS_CRYPTOGRAPHY:
        module.fail_json(msg=missing_required_lib('cryptography'))
    params = module.params
    if not 0 <= params['renew_days'] < min(params['cert_days'], params['ca_days']):
        module.fail_json(msg="renew_days (%d) must be at least 0 and below cert_days (%d) and ca_days (%d)"
                         % (params['renew_days'], params['cert_days'], params['ca_days']))
    paths = dict((name, params[name]) for name in ('ca_key', 'ca_cert', 'key', 'cert'))
    try:
        result = converge(paths, params['ca_common_name'], params['ca_days'], params['domain'], params['cert_days'],
                          params['renew_days'], check_mode=module.check_mode)
    except (IOError, OSError) as exc:
        module.fail_json(msg="Cannot write the local CA or certificate: %s" % exc)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
