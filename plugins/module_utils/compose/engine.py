# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The engines: the only code that runs a container CLI.

ComposeEngine speaks `docker compose` and the Docker CLI on this host; a second engine (Docker
Swarm stacks, swarm.engine) implements the same methods and registers with @register_engine.
What an engine can do beyond applying a project it says in its capabilities (``switches``,
``keeps_releases``), which compose.apply asks instead of guessing from an answer's shape.
Private to korczewski.platform.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading

from ansible_collections.korczewski.platform.plugins.module_utils.docker.api import DockerAPI, DockerError
from ansible_collections.korczewski.platform.plugins.module_utils.compose.plan import parse_api_containers, parse_dry_run, parse_ps


class EngineError(Exception):
    pass


ENGINES = {}


def register_engine(cls):
    """Class decorator: the engine is chosen by its ``name`` (compose_projects' engine option)."""
    ENGINES[cls.name] = cls
    return cls


@register_engine
class ComposeEngine(object):
    """docker compose v2 on this host. Every method takes the project name; file-based ones a directory."""

    name = "compose"
    # A health-gated switch (compose.switch) runs a second container of a service beside the
    # first; a release kept on the host (compose.release) needs images the engine can tag.
    switches = True
    keeps_releases = True
    # Containers run images of this host, so a tag that now names another image (pulled or built
    # again) is seen here; a swarm's nodes resolve their tags themselves.
    local_images = True

    def __init__(self, docker="docker", log_lines=30):
        self.docker = docker
        self.log_lines = log_lines
        # Reading state asks the engine's API on its unix socket (one request, no compose process);
        # DOCKER_HOST set to anything else (tcp with TLS, ssh) leaves it to the CLI.
        host = os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"
        self._api_host = host if host.startswith("unix://") and not os.environ.get("DOCKER_CONTEXT") else None
        self._local = threading.local()

    def adapt(self, spec):
        """The project's entry as this engine applies it: compose takes it as it is."""
        return spec

    def _run(self, argv, timeout=120, cwd="/"):
        try:
            proc = subprocess.run([self.docker] + argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  timeout=timeout, check=False, universal_newlines=True)
        except subprocess.TimeoutExpired as exc:
            return 124, exc.stdout or "", "timed out after %ss: %s" % (timeout, exc.stderr or "")
        except OSError as exc:
            raise EngineError("cannot run %s: %s" % (self.docker, exc))
        return proc.returncode, proc.stdout, proc.stderr

    def _project(self, name, directory, compose_file):
        return ["compose", "--project-name", name, "--project-directory", directory,
                "--file", os.path.join(directory, compose_file)]

    def validate(self, name, directory, compose_file):
        rc, out, err = self._run(self._project(name, directory, compose_file) + ["config", "--quiet"])
        return None if rc == 0 else (err or out).strip()

    def missing_networks(self, names):
        """The names of those networks the engine does not have; one CLI call for all."""
        if not names:
            return []
        rc, out, err = self._run(["network", "ls", "--format", "{{.Name}}"])
        if rc != 0:
            raise EngineError("docker network ls failed: %s" % err.strip())
        present = set(out.split())
        return [name for name in names if name not in present]

    def _api(self):
        # One client per thread: projects are applied concurrently and a client holds one connection.
        if getattr(self._local, "api", None) is None:
            self._local.api = DockerAPI(self._api_host)
        return self._local.api

    def containers(self, name):
        if self._api_host:
            try:
                return parse_api_containers(self._api().containers(
                    {"label": ["com.docker.compose.project=%s" % name, "com.docker.compose.oneoff=False"]}))
            except DockerError as exc:
                raise EngineError("listing the containers of %s failed: %s" % (name, exc))
        # Without --file compose finds the project by its label, orphans included.
        rc, out, err = self._run(["compose", "--project-name", name, "ps", "--all", "--format", "json"])
        if rc != 0:
            raise EngineError("docker compose ps of %s failed: %s" % (name, err.strip()))
        return parse_ps(out)

    def dry_run(self, name, directory, compose_file):
        rc, out, err = self._run(["compose", "--dry-run"] + self._project(name, directory, compose_file)[1:]
                                 + ["up", "--detach", "--remove-orphans"])
        if rc != 0:
            raise EngineError("docker compose --dry-run up of %s failed: %s" % (name, (err or out).strip()))
        return parse_dry_run(out + "\n" + err)

    def up(self, name, directory, compose_file, wait_timeout, services=None, remove_orphans=True):
        """None, or the error. services: only these, without their dependencies (a switch's copies)."""
        argv = ["up", "--detach", "--wait", "--wait-timeout", str(wait_timeout)]
        argv += ["--remove-orphans"] if remove_orphans else []
        argv += ["--no-deps"] + list(services) if services else []
        rc, out, err = self._run(self._project(name, directory, compose_file) + argv, timeout=wait_timeout + 120)
        return None if rc == 0 else (err or out).strip()

    def restart(self, name, directory, compose_file, wait_timeout):
        rc, out, err = self._run(self._project(name, directory, compose_file) + ["restart"], timeout=wait_timeout + 120)
        if rc != 0:
            return (err or out).strip()
        return self.up(name, directory, compose_file, wait_timeout)

    def reload(self, name, directory, compose_file, wait_timeout, signal="SIGHUP"):
        """Signals the project's running containers to re-read their configuration (PostgreSQL's
        pg_hba.conf on SIGHUP) without stopping them; then up --wait, which starts again a
        container whose main process did not survive the signal and waits until all are healthy."""
        rc, out, err = self._run(self._project(name, directory, compose_file) + ["kill", "--signal", signal],
                                 timeout=wait_timeout + 120)
        if rc != 0:
            return (err or out).strip()
        return self.up(name, directory, compose_file, wait_timeout)

    def stop(self, name, wait_timeout):
        rc, out, err = self._run(["compose", "--project-name", name, "stop"], timeout=wait_timeout + 120)
        return None if rc == 0 else (err or out).strip()

    def down(self, name, wait_timeout):
        # Volumes stay: removing data is never part of converging.
        rc, out, err = self._run(["compose", "--project-name", name, "down", "--remove-orphans"], timeout=wait_timeout + 120)
        return None if rc == 0 else (err or out).strip()

    # Single containers, for a takeover (compose.takeover): found by exact name, any state.

    def named_containers(self, names):
        """[{name, id, project, running, image}] of the containers with exactly these names."""
        if not names:
            return []
        template = '{{.Names}}\t{{.ID}}\t{{.Image}}\t{{.State}}\t{{.Label "com.docker.compose.project"}}'
        rc, out, err = self._run(["ps", "--all", "--format", template] + ["--filter=name=^/%s$" % n for n in names])
        if rc != 0:
            raise EngineError("docker ps failed: %s" % err.strip())
        found = []
        for line in out.splitlines():
            fields = line.split("\t")
            if len(fields) != 5 or fields[0] not in names:
                continue
            found.append({"name": fields[0], "id": fields[1][:12], "image": fields[2], "running": fields[3] == "running",
                          "project": fields[4] or None})
        return found

    def _container(self, argv, what):
        rc, out, err = self._run(argv)
        if rc != 0:
            raise EngineError("%s failed: %s" % (what, (err or out).strip()))

    def rename_container(self, container, name):
        self._container(["rename", container, name], "renaming container %s to %s" % (container, name))

    def stop_container(self, container):
        self._container(["stop", container], "stopping container %s" % container)

    def start_container(self, container):
        self._container(["start", container], "starting container %s" % container)

    def container_networks(self, container):
        rc, out, err = self._run(["inspect", "--format", "{{range $k, $v := .NetworkSettings.Networks}}{{$k}}\n{{end}}", container])
        if rc != 0:
            raise EngineError("inspecting container %s failed: %s" % (container, err.strip()))
        return [line for line in out.splitlines() if line.strip()]

    def connect_network(self, network, container):
        self._container(["network", "connect", network, container], "connecting %s to network %s" % (container, network))

    def _inspect(self, container, template):
        rc, out, err = self._run(["inspect", "--format", template, container])
        if rc != 0:
            raise EngineError("inspecting container %s failed: %s" % (container, err.strip()))
        return out.strip()

    def container_label(self, container, label):
        return self._inspect(container, '{{index .Config.Labels "%s"}}' % label).replace("<no value>", "")

    def container_health(self, container):
        """healthy, unhealthy, starting, or "" without a health check."""
        return self._inspect(container, "{{if .State.Health}}{{.State.Health.Status}}{{end}}")

    def exec_shell(self, container, script):
        self._container(["exec", container, "sh", "-c", script], "running a command in container %s" % container)

    def remove_container_if_exists(self, container):
        rc, out, err = self._run(["rm", "--force", container])
        if rc != 0 and "No such container" not in err:
            raise EngineError("removing container %s failed: %s" % (container, (err or out).strip()))

    def remove_container(self, container, force=False):
        # Never --volumes: what a container mounted stays.
        self._container(["rm"] + (["--force"] if force else []) + [container], "removing container %s" % container)

    def diagnose(self, name):
        """[{name, status, health, exit_code, probe, logs}] of the containers that are not healthy."""
        found = []
        for container in self.containers(name):
            rc, out, _err = self._run(["inspect", "--format", "{{json .State}}", container["id"] or container["name"]])
            state = json.loads(out) if rc == 0 and out.strip() else {}
            health = state.get("Health") or {}
            if state.get("Running") and health.get("Status", "healthy") == "healthy":
                continue
            probes = health.get("Log") or []
            rc, out, err = self._run(["logs", "--tail", str(self.log_lines), container["id"] or container["name"]])
            found.append({"name": container["name"], "status": state.get("Status", container["state"]),
                          "health": health.get("Status", ""), "exit_code": state.get("ExitCode"),
                          "probe": probes[-1].get("Output", "") if probes else "",
                          "logs": (out + err) if rc == 0 else err})
        return found

    # Images, for the release a project keeps on the host (compose.release).

    def container_images(self, containers):
        """{container name: image id} of those containers (one API request each, else one CLI call)."""
        if not containers:
            return {}
        if self._api_host:
            try:
                found = dict((name, self._api().call("GET", "/containers/%s/json" % name, ok=(200, 404)) or {})
                             for name in containers)
                return dict((name, info["Image"]) for name, info in found.items() if info.get("Image"))
            except DockerError as exc:
                raise EngineError("inspecting containers %s failed: %s" % (", ".join(containers), exc))
        rc, out, err = self._run(["inspect", "--format", "{{.Name}}\t{{.Image}}"] + list(containers))
        if rc != 0:
            raise EngineError("inspecting containers %s failed: %s" % (", ".join(containers), (err or out).strip()))
        return dict(line.lstrip("/").split("\t", 1) for line in out.splitlines() if "\t" in line)

    def image_id(self, reference):
        """The id the reference names on this host, or None."""
        if self._api_host:
            try:
                return (self._api().image(reference) or {}).get("Id")
            except DockerError:
                return None
        rc, out, _err = self._run(["image", "inspect", "--format", "{{.Id}}", reference])
        return out.strip() if rc == 0 and out.strip() else None

    def tag_image(self, image, reference):
        self._container(["image", "tag", image, reference], "tagging image %s as %s" % (image, reference))

    def untag_image(self, reference):
        """Removes the reference, the image only when nothing else names it. True when it went: a
        reference a container still uses stays (Docker refuses without force, and so do we)."""
        rc, _out, _err = self._run(["image", "rm", reference])
        return rc == 0
