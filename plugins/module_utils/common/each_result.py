# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""How a module that handled several entries in one call ends (the servers option of
npm_dev_server and postgres_databases). Private to korczewski.platform."""

from __future__ import annotations


def exit_each(module, results, label, noun):
    """Exit with every entry's result under `servers`: changed when any changed, their diffs side
    by side; when some failed, fail naming each by its `label` key, after all of them ran."""
    diffs = [result.pop('diff') for result in results if result.get('diff')]
    outcome = dict(changed=any(result['changed'] for result in results), servers=results)
    if diffs:
        outcome['diff'] = diffs
    failed = ['%s: %s' % (result[label], result.get('msg', 'failed')) for result in results if result['failed']]
    if failed:
        module.fail_json(msg='%d of %d %s failed: %s' % (len(failed), len(results), noun, '; '.join(failed)), **outcome)
    module.exit_json(**outcome)
