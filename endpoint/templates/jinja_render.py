"""Render one endpoint config template with Jinja2's SandboxedEnvironment.

Run by the endpoint (endpoint/templates/jinjaRenderer.ts) as `python3 -I` in a
clean environment, one process per rendering, so a template that loops forever
or allocates without end is bounded by this process's limits and its parent's
timeout, and nothing it does outlives the rendering.

Reads on stdin: {"template_dir", "template_name", "variables",
"memory_bytes", "cpu_seconds", "check_only"} (check_only: compile the
template, render nothing: the endpoint's start-up check). Writes on stdout one JSON object:
{"ok": true, "text": ...} or {"ok": false, "kind", "message", "template",
"line"}. Exit status 0 either way; anything else is the renderer failing.

What a template can reach: the variables it is given (JSON data only), the
standard Jinja filters and tests plus shell_escape, and the files under
template_dir (include / extends / import), nothing outside it, symlinks
included. The sandbox refuses attribute access to Python internals
(__class__, __globals__, ...).
"""

import json
import os
import resource
import shlex
import sys
import traceback


def limit_resources(memory_bytes, cpu_seconds):
    if memory_bytes:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    if cpu_seconds:
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds))
    # No file the template could make: nothing here writes one.
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))


def shell_escape(value):
    """Upstream's filter: a JSON-escaped string, shell-quoted, JSON-escaped again."""
    if not isinstance(value, str):
        return value
    try:
        loaded = json.loads(value)
    except ValueError:
        return json.dumps(shlex.quote(value))
    if not isinstance(loaded, str):
        return value
    return json.dumps(shlex.quote(loaded))


def confined_loader(jinja2, root):
    """A FileSystemLoader that also refuses a path whose real location leaves root (a symlink out)."""
    real_root = os.path.realpath(root)

    class ConfinedLoader(jinja2.FileSystemLoader):
        def get_source(self, environment, template):
            # split_template_path already refuses ".." segments; this catches symlinks.
            pieces = jinja2.loaders.split_template_path(template)
            real = os.path.realpath(os.path.join(real_root, *pieces))
            if real != real_root and not real.startswith(real_root + os.sep):
                raise jinja2.TemplateNotFound(template)
            return super().get_source(environment, template)

    return ConfinedLoader(real_root)


def template_line(error, root):
    """The template and line where an error happened: a syntax error says so; at run time
    Jinja maps its frames to the template files' lines, so the innermost such frame."""
    lineno = getattr(error, "lineno", None)
    if lineno:
        return getattr(error, "name", None), lineno
    real_root = os.path.realpath(root) + os.sep
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        if frame.filename.startswith(real_root):
            return frame.filename[len(real_root):], frame.lineno
    return None, None


def main():
    request = json.load(sys.stdin)
    limit_resources(request.get("memory_bytes"), request.get("cpu_seconds"))
    try:
        import jinja2
        from jinja2.sandbox import SandboxedEnvironment
    except ImportError:
        reply({"ok": False, "kind": "JinjaMissing", "message": f"{sys.executable} has no jinja2 module (Debian: apt-get install python3-jinja2)", "template": None, "line": None})
        return

    root = request["template_dir"]
    name = request["template_name"]
    environment = SandboxedEnvironment(
        undefined=jinja2.StrictUndefined,
        loader=confined_loader(jinja2, root),
        autoescape=False,
    )
    environment.filters["shell_escape"] = shell_escape
    try:
        template = environment.get_template(name)
        text = "" if request.get("check_only") else template.render(**request["variables"])
    except MemoryError:
        reply({"ok": False, "kind": "TemplateTooLarge", "message": "rendering ran out of its memory limit", "template": name, "line": None})
        return
    except Exception as error:  # every template error becomes the submitter's message, none a stack trace
        where, line = template_line(error, root)
        kind = type(error).__name__
        message = str(error) if not isinstance(error, jinja2.TemplateNotFound) else f"no template {error.name!r} in the template folder"
        reply({"ok": False, "kind": kind, "message": message, "template": where or name, "line": line})
        return
    reply({"ok": True, "text": text})


def reply(answer):
    sys.stdout.write(json.dumps(answer))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
