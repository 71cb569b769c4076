# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Many dev servers in one module run (npm_dev_server's ``servers`` option): each server gets a
stand-in for the module whose exit is an exception, so one server's end never ends the others."""

from __future__ import annotations

import os


class Finished(Exception):
    """A server's run ended: result is what exit_json or fail_json got."""

    def __init__(self, result, failed):
        super(Finished, self).__init__(result.get('msg', ''))
        self.result = result
        self.failed = failed


class OneServer(object):
    """What a server's runner uses of AnsibleModule, for one entry of servers."""

    def __init__(self, module, params):
        self._module = module
        self.params = params
        self.check_mode = module.check_mode
        self._diff = module._diff

    def __getattr__(self, name):
        # run_command, warn and the rest act for every server alike.
        return getattr(self._module, name)

    def get_bin_path(self, arg, required=False):
        path = self._module.get_bin_path(arg, required=False)
        if required and not path:
            self.fail_json(msg='Failed to find required executable "%s" in paths: %s' % (arg, os.environ.get('PATH', '')))
        return path

    def exit_json(self, **result):
        raise Finished(result, False)

    def fail_json(self, **result):
        raise Finished(result, True)


def run_one(module, params, runner):
    """(result, failed) of ``runner(OneServer(module, params))``; an unexpected error is this
    server's failure, not the module's."""
    try:
        runner(OneServer(module, params))
    except Finished as end:
        return end.result, end.failed
    except Exception as exc:  # one broken server must not hide the others' results
        return dict(msg='npm_dev_server failed: %s' % exc), True
    return dict(msg='the server ended without a result'), True
