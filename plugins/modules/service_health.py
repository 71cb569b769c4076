#!/usr/bin/python
#
# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


DOCUMENTATION = r"""
module: service_health

short_description: Probe many health endpoints concurrently and check conditions on the answers

version_added: 0.1.0

description:
  - Probes every endpoint of O(endpoints) in one module call, at most O(workers) at a time, and
    checks each answer against a list of conditions in the style of Gatus (for example
    C([STATUS] == 200), C([BODY].status == UP), C([CERTIFICATE_EXPIRATION] > 48h)).
  - O(endpoints) takes exactly what the P(korczewski.platform.health_targets#filter) filter returns,
    so the filter's output can be passed as is (see the examples).
  - Kinds. V(https) and V(http) send one C(GET) to O(endpoints[].url) and read at most 1 MiB of
    the body; redirects are not followed. V(tcp) opens a TCP connection. V(container) reads the
    container's state from the Docker Engine API on O(docker_socket) (no Docker SDK needed) and,
    when O(endpoints[].port) is set, also opens a TCP connection to the container's IP address
    on that port.
  - Connecting works like C(curl --resolve). The TCP connection goes to O(endpoints[].address)
    when set; otherwise to the URL's host if it resolves, else to C(127.0.0.1), so names such as
    C(auth.platform.localhost) reach the local Traefik although nothing resolves them. The
    C(Host) header is O(endpoints[].host) (default the URL's host, with C(:port) unless the port
    is the scheme's default), the TLS SNI is that host, and the certificate is verified against
    that host name with the CA of O(ca_path).
  - An endpoint passes when every condition passes. A failing endpoint is probed again, up to
    O(retries) more times with O(retry_interval) seconds in between; the first passing attempt
    ends it. A probe error (connection refused, timeout, TLS failure, missing container) counts
    only through the conditions it leaves without a value, and those fail.
  - Every endpoint and condition is validated before the first probe; a malformed condition
    fails the module with an error naming the endpoint and the condition.
  - B(Condition grammar.) C(<left> <operator> <right>), where C(<left>) is a placeholder,
    V(len(<placeholder>\)) or V(has(<placeholder>\)); C(<operator>) is one of C(==), C(!=), C(<),
    C(<=), C(>), C(>=); C(<right>) is a number, a duration, C(true), C(false), a bare string
    (the rest of the line), V(any(a, b, ...\)) (equal to one of them; C(!=) means none of them),
    V(pat(glob\)) (shell-style pattern with C(*) and C(?); C(!=) negates), or another placeholder.
    C(any) and C(pat) work with C(==) and C(!=) only; C(<), C(<=), C(>), C(>=) need a number (or
    a duration for time placeholders).
  - B(Placeholders.) C([STATUS]) HTTP status code. C([RESPONSE_TIME]) milliseconds from the start
    of the TCP connect to the end of the body (for V(tcp) and a container port, the connect time);
    compare it with a number of milliseconds or a duration. C([BODY]) the body as text.
    C([BODY].a.b[0].c) a value in the JSON body; steps are C(.key) and C([index]); C([BODY][0])
    indexes a top-level array. V(len([BODY].items\)) the length of a string, array or object
    (only C([BODY]) and its paths). V(has([BODY].errors\)) whether a path resolves (compare with
    C(true) or C(false)).
    C([CERTIFICATE_EXPIRATION]) time until the server certificate's C(notAfter) (V(https) only);
    compare it with a duration only. C([CONNECTED]) whether the TCP connection was established
    (C(true) or C(false)). C([CONTAINER_HEALTH]) for a running container Docker's health status
    (C(starting), C(healthy), C(unhealthy)) when it has a healthcheck and C(healthy) when it has
    none; for a container that is not running its state (C(created), C(exited), C(paused),
    C(restarting), C(removing), C(dead)), since a stopped container's last health status is stale.
    C([CONTAINER_STATE]) Docker's state as is (C(running), C(exited), ...).
  - B(Durations.) A number followed by C(ms), C(s), C(m), C(h), C(d) or C(w), parts may be
    chained (C(1h30m)); both sides are converted to the placeholder's unit before comparing.
  - B(Comparison.) When both sides are numbers they compare as numbers (C(200) equals C(200.0));
    C(true) and C(false) compare with JSON booleans; anything else compares as text, JSON values
    spelled as JSON (C(null), C([1,2])).
  - B(Fail closed.) Unlike Gatus, a value that does not resolve fails the condition (a missing
    key, a body that is not JSON, an index out of range, a value the probe did not get after no
    response or a refused connection). The reason names the part that did not resolve. A
    placeholder that an endpoint's kind never measures (C([STATUS]) on V(tcp)) is a validation
    error.
  - B(Examples of conditions.) V([STATUS] == any(200, 204\)), V([BODY].status == UP),
    V([BODY].items[0].id != 0), V(len([BODY].items\) >= 1), V(has([BODY].error\) == false),
    V([BODY] == pat(*<title>Dashboard</title>*\)), V([RESPONSE_TIME] < 500), V([RESPONSE_TIME] < 2s),
    V([CERTIFICATE_EXPIRATION] > 14d), V([CONNECTED] == false) (the port must be closed),
    V([CONTAINER_HEALTH] == any(healthy, starting\)).

author:
  - korczewski.platform developers (@korczewski)

extends_documentation_fragment:
  - korczewski.platform.attributes

requirements:
  - For V(container) endpoints, read access to the Docker socket (O(docker_socket)).

attributes:
  check_mode:
    support: full
    details:
      - Probes only read, so they run in check mode too and report real results.
  diff_mode:
    support: none

options:
  endpoints:
    description:
      - The endpoints to probe, in the order the results should come back.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description:
          - Unique name of the endpoint, used in results, O(fail_on_error) messages and the summary.
        type: str
        required: true
      service:
        description: Service the endpoint belongs to; echoed back.
        type: str
      environment:
        description: Environment the endpoint belongs to; echoed back.
        type: str
      kind:
        description:
          - How to probe. When omitted, taken from the URL's scheme, else V(container) when
            O(endpoints[].container) is set, else V(tcp) when O(endpoints[].port) is set.
        type: str
        choices:
          - https
          - http
          - tcp
          - container
      url:
        description:
          - URL to C(GET), for V(https) and V(http), for example C(https://auth.platform.localhost:18443/health).
        type: str
      host:
        description:
          - For V(https) and V(http), the host name for the C(Host) header, the TLS SNI and the
            certificate check; default the URL's host.
          - For V(tcp), the host to connect to when O(endpoints[].address) is not set (default C(127.0.0.1)).
        type: str
      address:
        description:
          - Address to connect to, whatever the URL says, like C(curl --resolve).
          - For V(container) endpoints with a port, overrides the container's IP address.
          - By default the URL's host (or O(endpoints[].host) for V(tcp)) when it resolves, else C(127.0.0.1).
        type: str
      port:
        description:
          - TCP port; required for V(tcp). For V(container), also connect to this port on the
            container's IP address (the first of its networks that has one; C(127.0.0.1) with
            host networking) and add C([CONNECTED] == true) to the default conditions.
          - For V(https) and V(http) the URL decides; a different O(endpoints[].port) is an error.
        type: int
      container:
        description:
          - Container name or id, for V(container). Default O(endpoints[].name).
          - Ignored for other kinds (the catalog names the container behind every endpoint).
        type: str
      conditions:
        description:
          - Conditions that must all pass (grammar above). When omitted or empty,
            V(https) and V(http) use C([STATUS] == 200), V(tcp) uses C([CONNECTED] == true),
            V(container) uses C([CONTAINER_HEALTH] == healthy).
        type: list
        elements: str
      timeout:
        description:
          - Seconds for one probe of this endpoint; default O(timeout).
        type: float
  timeout:
    description:
      - Seconds for one probe. It bounds the connect, the TLS handshake and each read, and body
        reading stops at that deadline.
    type: float
    default: 5
  retries:
    description:
      - How many more times a failing endpoint is probed. V(0) probes once.
    type: int
    default: 2
  retry_interval:
    description:
      - Seconds between two attempts at one endpoint.
    type: float
    default: 1.0
  workers:
    description:
      - How many endpoints are probed at the same time.
    type: int
    default: 16
  ca_path:
    description:
      - CA bundle file (or a directory of hashed CA certificates) to verify HTTPS servers with.
      - By default the system's trust store.
    type: path
  validate_certs:
    description:
      - Whether to verify HTTPS certificates and host names. C([CERTIFICATE_EXPIRATION]) is
        measured either way.
    type: bool
    default: true
  fail_on_error:
    description:
      - V(true) fails the module when any endpoint fails, listing every failing endpoint with its
        failed conditions; the results are returned all the same.
      - V(false) only reports; check RV(failed_endpoints) or RV(results[].ok).
    type: bool
    default: true
  docker_socket:
    description:
      - Unix socket of the Docker Engine API, for V(container) endpoints.
    type: path
    default: /var/run/docker.sock
  engine:
    description:
      - Where V(container) endpoints run. V(compose) reads the container of that name on this host's engine.
      - V(swarm) reads, on a swarm manager, the swarm service that runs the catalog container for the endpoint's
        O(endpoints[].service) and O(endpoints[].environment) (identity labels; the service of the unit's own
        stack when another stack copies them), wherever its tasks run. C([CONTAINER_STATE]) is V(running) when
        every desired replica runs, else the state of a task that does not run yet (V(starting) until its
        healthcheck passes, V(pending) while no node can take it); C([CONTAINER_HEALTH]) is then V(healthy), else
        that state. With a port, the TCP connection goes to the first running task's address on its overlay
        network unless O(endpoints[].address) is set.
      - V(https), V(http) and V(tcp) endpoints are probed the same way with either engine (Traefik publishes its
        ports in host mode on the manager).
    type: str
    default: compose
    choices:
      - compose
      - swarm

notes:
  - The module never changes anything; RV(ignore:changed) is always V(false).
  - The Docker Engine API is called without a version prefix, so the engine answers at its own
    API version (engines 20.10 to 29 accept that).

seealso:
  - name: Gatus conditions
    description: The condition language this module follows.
    link: https://github.com/TwiN/gatus#conditions
  - plugin: korczewski.platform.health_targets
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Probe every production endpoint of the catalog through the local Traefik
  korczewski.platform.service_health:
    endpoints: "{{ platform_services | korczewski.platform.health_targets(platform_domain, 'production', https_port=18443) }}"
    ca_path: /etc/korczewski-platform/ca.pem
  register: health

- name: Show the table
  ansible.builtin.debug:
    msg: "{{ health.summary.splitlines() }}"

- name: Conditions beyond the status code, reported without failing
  korczewski.platform.service_health:
    endpoints:
      - name: auth
        url: https://auth.korczewski.de/health
        address: 127.0.0.1
        conditions:
          - "[STATUS] == 200"
          - "[BODY].database == reachable"
          - "[RESPONSE_TIME] < 500"
          - "[CERTIFICATE_EXPIRATION] > 14d"
      - name: qdrant-dev
        kind: container
        port: 6333
      - name: vllm-dev
        kind: tcp
        port: 4100
      - name: l2p-api
        url: http://127.0.0.1:3001/health
        conditions:
          - "[STATUS] == any(200, 204)"
          - "len([BODY].items) >= 1"
          - "[BODY].version == pat(2.*)"
    retries: 0
    fail_on_error: false
  register: health

- name: Names of the failing endpoints
  ansible.builtin.debug:
    var: health.failed_endpoints
"""

RETURN = r"""
results:
  description: One result per endpoint, in the order of O(endpoints). Every key is always present; V(null) where it does not apply.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: O(endpoints[].name).
      type: str
    service:
      description: O(endpoints[].service).
      type: str
    environment:
      description: O(endpoints[].environment).
      type: str
    kind:
      description: The kind probed (given or inferred).
      type: str
    target:
      description: What was probed, for display; the URL, C(address:port), or C(container NAME[:port]).
      type: str
      sample: https://auth.platform.localhost:18443/health
    url:
      description: The URL, for V(https) and V(http).
      type: str
    host:
      description: Host name sent as C(Host) and SNI (V(https), V(http)), or O(endpoints[].host) for V(tcp).
      type: str
    address:
      description: The address the TCP connection went to (or would have gone to).
      type: str
      sample: 127.0.0.1
    port:
      description: TCP port (from the URL for V(https) and V(http)).
      type: int
    container:
      description: Container name, for V(container).
      type: str
    ok:
      description: Whether every condition passed (on the last attempt).
      type: bool
    status:
      description: HTTP status code of the last attempt.
      type: int
      sample: 200
    latency_ms:
      description: Milliseconds of the last attempt from the TCP connect to the end of the body (TCP connect time for V(tcp) and container ports).
      type: float
      sample: 12.4
    certificate_expires_in_hours:
      description: Hours until the server certificate expires (negative when expired), for V(https).
      type: float
      sample: 2159.7
    container_health:
      description: The C([CONTAINER_HEALTH]) value, for V(container).
      type: str
      sample: healthy
    container_state:
      description: Docker's container state, for V(container).
      type: str
      sample: running
    connected:
      description: Whether the TCP connection was established; V(null) when no connection was tried.
      type: bool
    failed_conditions:
      description: Each failed condition of the last attempt with the value found or why there was none.
      type: list
      elements: str
      sample:
        - "[STATUS] == 200 (got 502)"
        - "[BODY].status == UP ([BODY].status did not resolve: [BODY] has no key 'status')"
    error:
      description: What went wrong on the transport of the last attempt (refused, timeout, TLS, Docker), else V(null).
      type: str
      sample: connection refused
    attempts:
      description: How many probes were made.
      type: int
      sample: 1
    conditions:
      description: The conditions checked (the defaults when none were given).
      type: list
      elements: str
failed_endpoints:
  description:
    - Names of the endpoints that failed, in input order.
    - Not called C(failed), which Ansible reads as the outcome of the task itself.
  returned: always
  type: list
  elements: str
  sample: [l2p-api]
summary:
  description: A plain text table (name, target, status, latency, result) to print.
  returned: always
  type: str
  sample: |-
    NAME          TARGET                                           STATUS   LATENCY  RESULT
    auth-service  https://auth.platform.localhost:18443/health     200        12 ms  ok
    l2p-api       https://l2p.platform.localhost:18443/api/health  502         8 ms  FAIL [STATUS] == 200 (got 502)
    qdrant-dev    container qdrant-dev                             healthy        -  ok
"""

import ssl

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.korczewski.platform.plugins.module_utils.health.check import (
    failure_message,
    normalize_endpoints,
    run_checks,
    summary_table,
)
from ansible_collections.korczewski.platform.plugins.module_utils.health.probes import ssl_context

ENDPOINT_OPTIONS = dict(
    name=dict(type='str', required=True),
    service=dict(type='str'),
    environment=dict(type='str'),
    kind=dict(type='str', choices=['https', 'http', 'tcp', 'container']),
    url=dict(type='str'),
    host=dict(type='str'),
    address=dict(type='str'),
    port=dict(type='int'),
    container=dict(type='str'),
    conditions=dict(type='list', elements='str'),
    timeout=dict(type='float'),
)


def _check_numbers(module):
    params = module.params
    problems = []
    if params['timeout'] <= 0:
        problems.append('timeout must be more than 0')
    if params['retries'] < 0:
        problems.append('retries must not be negative')
    if params['retry_interval'] < 0:
        problems.append('retry_interval must not be negative')
    if params['workers'] < 1:
        problems.append('workers must be at least 1')
    if problems:
        module.fail_json(msg='; '.join(problems))


def main():
    module = AnsibleModule(
        argument_spec=dict(
            endpoints=dict(type='list', elements='dict', required=True, options=ENDPOINT_OPTIONS),
            timeout=dict(type='float', default=5),
            retries=dict(type='int', default=2),
            retry_interval=dict(type='float', default=1.0),
            workers=dict(type='int', default=16),
            ca_path=dict(type='path'),
            validate_certs=dict(type='bool', default=True),
            fail_on_error=dict(type='bool', default=True),
            docker_socket=dict(type='path', default='/var/run/docker.sock'),
            engine=dict(type='str', default='compose', choices=['compose', 'swarm']),
        ),
        supports_check_mode=True,
    )
    _check_numbers(module)
    params = module.params
    endpoints, errors, warnings = normalize_endpoints(params['endpoints'])
    for warning in warnings:
        module.warn(warning)
    if errors:
        module.fail_json(msg='invalid endpoints:\n' + '\n'.join(errors), errors=errors)
    # What is to be probed decides what is loaded: nothing to probe, or no HTTPS endpoint among
    # them, needs no CA (before the first deploy it does not exist yet).
    https = [ep.name for ep in endpoints if ep.kind == 'https']
    context = None
    if https:
        try:
            context = ssl_context(params['ca_path'], params['validate_certs'])
        except (OSError, ssl.SSLError) as exc:
            module.fail_json(msg='cannot load ca_path %s, which the HTTPS endpoint(s) %s need: %s'
                             % (params['ca_path'], ', '.join(https), exc))

    results = run_checks(endpoints, timeout=params['timeout'], retries=params['retries'],
                         retry_interval=params['retry_interval'], workers=params['workers'],
                         context=context, docker_socket=params['docker_socket'], engine=params['engine'])
    # Not "failed": Ansible reads that key as the task's own outcome.
    output = dict(changed=False, results=results, failed_endpoints=[r['name'] for r in results if not r['ok']],
                  summary=summary_table(results))
    if output['failed_endpoints'] and params['fail_on_error']:
        module.fail_json(msg=failure_message(results), **output)
    module.exit_json(**output)


if __name__ == '__main__':
    main()
