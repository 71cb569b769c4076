# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""GPUs: what a container asks for (``gpus:``), what a host declares (``platform_gpus``,
``platform_gpu_fallback``), whether the one fits the other, and the Compose device reservation.

A GPU request is ``"all"``, a positive count or a list of device ids. Validation and rendering
both ask :func:`gpu_decision`, so a container that validates on a host renders the same way on it.
Private to korczewski.platform (see catalog/catalog.py); standard library only.
"""

from __future__ import annotations

GPU_FALLBACKS = ("none", "cpu")
# The spellings of "this host has no GPUs" an inventory may use.
_NO_GPUS = (None, False, 0, "none", "")


class HostGpus(object):
    """The GPUs one host declares. known is False when the caller gave no declaration (lookups
    that render nothing); rendering then treats the host as one without GPUs."""

    def __init__(self, devices=None, fallback="none", known=True):
        self.devices = devices  # None (no GPUs), "all", a count or a list of id strings
        self.fallback = fallback
        self.known = known

    @property
    def has_gpus(self):
        return self.devices is not None

    def describe(self):
        if self.devices is None:
            return "none"
        if isinstance(self.devices, list):
            return "devices %s" % ", ".join(self.devices)
        return str(self.devices)


UNKNOWN_HOST = HostGpus(known=False)


def _device_ids(value):
    if not value:
        return None
    ids = []
    for item in value:
        if isinstance(item, bool) or not isinstance(item, (str, int)) or str(item) == "":
            return None
        ids.append(str(item))
    return ids if len(set(ids)) == len(ids) else None


def parse_gpu_request(value):
    """(request, error message): a container's ``gpus:`` as "all", an int or a list of ids."""
    if value == "all":
        return "all", None
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value, None
    if isinstance(value, list):
        ids = _device_ids(value)
        if ids is not None:
            return ids, None
    return None, ("must be all, a positive number of GPUs or a non-empty list of distinct device ids, got %r"
                  % (value,))


def parse_host_gpus(chk, gpus, fallback):
    """The host's declaration from platform_gpus and platform_gpu_fallback; errors go to chk."""
    if fallback is None:
        fallback = "none"
    if fallback not in GPU_FALLBACKS:
        chk.error("platform_gpu_fallback", "unknown fallback %r (expected one of: %s)" % (fallback, ", ".join(GPU_FALLBACKS)))
        fallback = "none"
    if gpus in _NO_GPUS or gpus == []:
        return HostGpus(None, fallback)
    devices, error = parse_gpu_request(gpus)
    if error:
        chk.error("platform_gpus", error.replace("must be all", "must be none, all"))
        return HostGpus(None, fallback)
    return HostGpus(devices, fallback)


def gpu_decision(request, host):
    """(render, error, warning) for a container's GPU request on host: render is the request to
    reserve, or None; error and warning are messages without the path."""
    if request is None:
        return None, None, None
    if not host.has_gpus:
        if host.fallback == "cpu":
            return None, None, "asks for GPUs (%s), but this host declares none: it runs without them " \
                               "(platform_gpu_fallback: cpu)" % _describe(request)
        return None, ("asks for GPUs (%s), but this host declares none (platform_gpus); declare them, or set "
                      "platform_gpu_fallback: cpu to run it without" % _describe(request)), None
    devices = host.devices
    if devices == "all" or request == "all":
        return request, None, None
    available = devices if isinstance(devices, list) else [str(i) for i in range(devices)]
    if isinstance(request, int):
        if request > len(available):
            return None, "asks for %d GPUs, but this host declares %s (platform_gpus)" % (request, host.describe()), None
        return request, None, None
    missing = [d for d in request if d not in available]
    if missing:
        return None, ("asks for GPU device(s) %s, which this host does not declare (platform_gpus: %s)"
                      % (", ".join(missing), host.describe())), None
    return request, None, None


def _describe(request):
    return ", ".join(request) if isinstance(request, list) else str(request)


def device_reservation(request):
    """The Compose ``deploy.resources.reservations.devices`` entry for a GPU request."""
    device = {"driver": "nvidia", "capabilities": ["gpu"]}
    if isinstance(request, list):
        device["device_ids"] = list(request)
    else:
        device["count"] = request
    return [device]
