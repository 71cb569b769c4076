// Copyright (c) 2026, korczewski.platform developers
// GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
// SPDX-License-Identifier: GPL-3.0-or-later
//
// The action buttons live inside the board, which every live push replaces. A request sent from a
// button that a push removed meanwhile (the stray's own "die" event often arrives before the answer)
// would have its answer dropped, so each request is sent from #flash, which no push touches.
document.addEventListener("click", function (event) {
  var button = event.target.closest("button[data-post]");
  if (!button) {
    return;
  }
  event.preventDefault();
  if (button.dataset.confirm && !window.confirm(button.dataset.confirm)) {
    return;
  }
  htmx.ajax("POST", button.dataset.post, {
    source: "#flash",
    target: "#flash",
    values: JSON.parse(button.dataset.vals || "{}"),
  });
});
