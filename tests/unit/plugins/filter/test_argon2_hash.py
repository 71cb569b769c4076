# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.korczewski.platform.plugins.filter.argon2_hash import FilterModule

argon2 = pytest.importorskip("argon2")
argon2_hash = FilterModule().filters()["argon2_hash"]


def test_same_password_and_salt_give_the_same_verifiable_hash():
    first = argon2_hash("correct horse", "salt-0123456789")
    assert first == argon2_hash("correct horse", "salt-0123456789")
    assert first.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert argon2.PasswordHasher().verify(first, "correct horse")
    with pytest.raises(argon2.exceptions.VerifyMismatchError):
        argon2.PasswordHasher().verify(first, "wrong horse")
    assert argon2_hash("correct horse", "another-salt-987") != first


@pytest.mark.parametrize("password, salt, message", [
    ("", "salt-0123456789", "non-empty password"),
    ("pw", "short", "at least 8 bytes"),
    (None, "salt-0123456789", "non-empty password"),
])
def test_bad_input_is_named(password, salt, message):
    with pytest.raises(AnsibleFilterError, match=message):
        argon2_hash(password, salt)
