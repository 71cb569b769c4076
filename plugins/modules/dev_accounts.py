#!/usr/bin/python
# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: dev_accounts
short_description: Find the account that runs each local dev server, refuse root, prepare its state directory
version_added: 0.1.0
author:
  - korczewski.platform developers (@korczewski)
extends_documentation_fragment:
  - korczewski.platform.attributes
description:
  - Development servers never run as root. Each server in O(servers) runs as O(user) when it is
    set, otherwise as the owner of its source directory (the directory a link points to).
  - Fails before anything changes, naming every server at once, when a source directory is
    missing or owned by a uid without an account, when the account does not exist, or when the
    account is root and O(allow_root) is false.
  - With O(state=present) it creates O(state_dir) (mode 0755), each account's private state
    directory C(<state_dir>/<account>) (owned by the account, mode 0700), and lets other accounts
    pass through the parent of O(state_dir) (C(o+x), no listing) when a server runs as an account
    other than the one this module runs as.
  - Returns, per server, what the tasks that start or stop it need, namely the account, whether they
    must switch to it (C(become)), its state directory and the Python interpreter to use there.
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
options:
  servers:
    description: The local dev servers, as the catalog lists them.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: The server's name.
        type: str
        required: true
      source:
        description: The server's source directory.
        type: path
        required: true
  user:
    description: The account every server runs as; empty means the owner of each source directory.
    type: str
    default: ''
  allow_root:
    description: Let a server run as root.
    type: bool
    default: false
  state_dir:
    description: The dev servers' state directory; each account's pid and log files live below it.
    type: path
    required: true
  state:
    description:
      - V(present) checks the accounts strictly and prepares the state directories.
      - V(stopped) only finds the accounts, to stop servers; a missing source directory is looked
        for as the account this module runs as, and root is not refused.
    type: str
    default: present
    choices: [present, stopped]
  become_python:
    description: The Python interpreter for tasks that switch to another account (the inventory's may
      live in a home that account cannot read).
    type: path
    default: /usr/bin/python3
"""

EXAMPLES = r"""
- name: Find who runs the unit's dev servers
  korczewski.platform.dev_accounts:
    servers: "{{ unit.local_servers | community.general.keep_keys(target=['name', 'source']) }}"
    user: "{{ platform_dev_user | default('') }}"
    state_dir: /var/lib/korczewski-platform/state/npm
  register: dev_accounts
"""

RETURN = r"""
accounts:
  description: Per server name, the account that runs it.
  returned: success
  type: dict
  sample:
    auth-dev:
      user: patrick
      uid: 1000
      gid: 1000
      become: true
      state_dir: /var/lib/korczewski-platform/state/npm/patrick
      python: /usr/bin/python3
"""

import os
import pwd
import stat
import sys

from ansible.module_utils.basic import AnsibleModule


def find_account(server, params, errors):
    """The passwd entry the server runs as, or None after adding the reason to errors."""
    name, source = server['name'], server['source']
    present = params['state'] == 'present'
    if params['user']:
        try:
            entry = pwd.getpwnam(params['user'])
        except KeyError:
            errors.append("Dev server %s should run as %s (platform_dev_user), which has no account on this host."
                          % (name, params['user']))
            return None
        why = 'platform_dev_user is %s' % params['user']
    else:
        try:
            info = os.stat(source)
        except OSError:
            info = None
        if info is None or not stat.S_ISDIR(info.st_mode):
            if present:
                errors.append("Dev server %s: its source directory %s %s." % (
                    name, source, 'does not exist' if info is None else 'is not a directory'))
                return None
            return pwd.getpwuid(os.geteuid())
        try:
            entry = pwd.getpwuid(info.st_uid)
        except KeyError:
            if present:
                errors.append("Dev server %s: its source directory %s is owned by uid %d, which has no account on "
                              "this host: chown it to the developer, or set platform_dev_user." % (name, source, info.st_uid))
                return None
            return pwd.getpwuid(os.geteuid())
        why = 'its source directory %s is owned by %s' % (source, entry.pw_name)
    if present and entry.pw_uid == 0 and not params['allow_root']:
        errors.append("Dev server %s would run as root: %s. Development servers never run as root. Fix one of: "
                      "chown it to the developer (chown -R <developer>: %s), or set platform_dev_user, or "
                      "platform_dev_allow_root: true." % (name, why, source))
        return None
    return entry


def ensure_directory(module, path, mode, uid=None, gid=None):
    """Creates path or fixes its mode and owner; True when something changed (or would)."""
    try:
        info = os.stat(path)
    except OSError:
        info = None
    if info is not None and stat.S_IMODE(info.st_mode) == mode and uid in (None, info.st_uid) and gid in (None, info.st_gid):
        return False
    if not module.check_mode:
        if info is None:
            os.makedirs(path)
        os.chmod(path, mode)
        if uid is not None:
            os.chown(path, uid, gid)
    return True


def main():
    module = AnsibleModule(
        argument_spec=dict(
            servers=dict(type='list', elements='dict', required=True,
                         options=dict(name=dict(type='str', required=True), source=dict(type='path', required=True))),
            user=dict(type='str', default=''),
            allow_root=dict(type='bool', default=False),
            state_dir=dict(type='path', required=True),
            state=dict(type='str', default='present', choices=['present', 'stopped']),
            become_python=dict(type='path', default='/usr/bin/python3'),
        ),
        supports_check_mode=True,
    )
    params = module.params
    me = pwd.getpwuid(os.geteuid()).pw_name
    errors, found = [], {}
    for server in params['servers']:
        # npm runs in the directory a link points to, so that directory's owner counts.
        server = dict(server, source=os.path.realpath(server['source']))
        entry = find_account(server, params, errors)
        if entry is not None:
            found[server['name']] = entry
    if errors:
        module.fail_json(msg=" ".join(errors), errors=errors)

    state_dir = params['state_dir']
    accounts = {}
    for name, entry in found.items():
        become = entry.pw_name != me
        accounts[name] = dict(user=entry.pw_name, uid=entry.pw_uid, gid=entry.pw_gid, become=become,
                              state_dir=os.path.join(state_dir, entry.pw_name),
                              python=params['become_python'] if become else sys.executable)

    changed = False
    if params['state'] == 'present' and accounts:
        try:
            parent = os.path.dirname(state_dir)
            if any(a['become'] for a in accounts.values()) and os.path.isdir(parent):
                mode = stat.S_IMODE(os.stat(parent).st_mode)
                if not mode & stat.S_IXOTH:
                    changed = ensure_directory(module, parent, mode | stat.S_IXOTH) or changed
            changed = ensure_directory(module, state_dir, 0o755) or changed
            for account in dict((a['user'], a) for a in accounts.values()).values():
                changed = ensure_directory(module, account['state_dir'], 0o700, account['uid'], account['gid']) or changed
        except OSError as exc:
            module.fail_json(msg="Cannot prepare the dev servers' state directory %s: %s" % (state_dir, exc))
    module.exit_json(changed=changed, accounts=accounts)


if __name__ == '__main__':
    main()
