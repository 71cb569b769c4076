# -*- coding: utf-8 -*-
# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:

    # The option of the modules that run the docker command line (compose_projects, postgres_databases).
    DOCUMENTATION = r"""
options:
  docker_cli:
    description: The C(docker) executable.
    type: str
    default: docker
"""
