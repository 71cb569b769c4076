# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The service catalog: one model of the platform, used by filters, modules, roles and playbooks.

It reads ``platform_services`` and ``platform_domain``, validates them (collecting every error,
each naming the exact path of the offending value and the conflict) and derives what the rest of
the collection needs: compose projects, identity and Traefik labels, databases, health targets.

This module is the catalog's one entry point; the work is done in

- ``catalog/model.py``  vocabulary, data classes, names derived from one object, lookups;
- ``catalog/methods.py`` deployment methods: what each needs, runs and owns;
- ``catalog/parse.py``  raw data to model (``parse_fields.py``: the error collector and field
  shapes, ``parse_containers.py``: containers and local servers), errors named by path;
- ``catalog/rules.py``  the rules, one function each, within and across services
  (``rules_providers.py``: the shape of the proxy and the database server);
- ``catalog/derive.py`` identity labels, compose projects and units, built on
  ``routing.py`` (what Traefik routes: labels, networks), ``databases.py`` (databases, logins,
  connection settings), ``healthcheck.py`` (healthchecks, health targets, wait timeouts) and
  ``update.py`` (which containers an update switches and which it recreates);
- ``catalog/dotenv.py``  environment values and env files.

Like every package under module_utils, these are private to korczewski.platform: they are no
public API and change without notice. Standard library only,
so modules can ship them to any host.
"""

from __future__ import annotations

from ansible_collections.korczewski.platform.plugins.module_utils.catalog.derive import Derivations
from ansible_collections.korczewski.platform.plugins.module_utils.catalog.gpus import UNKNOWN_HOST, parse_host_gpus
from ansible_collections.korczewski.platform.plugins.module_utils.catalog.model import (
    DATABASE_PORT,
    DATABASE_SUPERUSER,
    DEFAULT_NETWORK,
    ENVIRONMENTS,
    LABEL_ENVIRONMENT,
    LABEL_LAYER,
    LABEL_PREFIX,
    LABEL_SERVICE,
    LABEL_UNIT,
    LAYERS,
    PROVIDES,
    CatalogError,
    CatalogModel,
    Container,
    Environment,
    LocalServer,
    Publish,
    Route,
    SecretVar,
    Service,
)
from ansible_collections.korczewski.platform.plugins.module_utils.catalog.methods import METHODS, method_of
from ansible_collections.korczewski.platform.plugins.module_utils.catalog.parse import (
    Checker,
    parse_domain,
    parse_services,
)
from ansible_collections.korczewski.platform.plugins.module_utils.catalog.rules import check_catalog, check_host
from ansible_collections.korczewski.platform.plugins.module_utils.catalog.dotenv import (
    env_file_text,
    env_value,
    parse_env_file,
)

__all__ = [
    "DATABASE_PORT", "DATABASE_SUPERUSER", "DEFAULT_NETWORK", "ENVIRONMENTS", "LABEL_ENVIRONMENT", "LABEL_LAYER",
    "LABEL_PREFIX", "LABEL_SERVICE", "LABEL_UNIT", "LAYERS", "METHODS", "PROVIDES", "method_of",
    "Catalog", "CatalogError", "Container", "Environment", "LocalServer", "Publish", "Route", "SecretVar", "Service", "UNSET",
    "env_file_text", "env_value", "parse_env_file",
]


# gpus not given: the host is unknown, so its GPU rule is not checked (lookups that render nothing).
UNSET = object()


class Catalog(CatalogModel, Derivations):
    """A validated catalog. Build it with :meth:`load`; it raises :class:`CatalogError`.

    gpus and gpu_fallback are the host's platform_gpus and platform_gpu_fallback: given, every
    container's GPU request is checked against them and rendered for them; not given (UNSET), the
    GPU rule is skipped and rendering a container that asks for GPUs fails.
    """

    @classmethod
    def check(cls, services, domain, network=DEFAULT_NETWORK, gpus=UNSET, gpu_fallback=None):
        """Return (catalog or None, errors, warnings); never raises on bad input."""
        chk = Checker()
        domain = parse_domain(chk, domain)
        host = UNKNOWN_HOST if gpus is UNSET else parse_host_gpus(chk, gpus, gpu_fallback)
        catalog = cls(parse_services(chk, services), domain, network, chk.warnings, host_gpus=host)
        check_catalog(chk, catalog)
        if host.known:
            check_host(chk, catalog)
        if chk.errors:
            return None, chk.errors, chk.warnings
        return catalog, [], chk.warnings

    @classmethod
    def load(cls, services, domain, network=DEFAULT_NETWORK, gpus=UNSET, gpu_fallback=None):
        catalog, errors, dummy = cls.check(services, domain, network, gpus, gpu_fallback)
        if errors:
            raise CatalogError(errors, headline="platform_services is invalid")
        return catalog
