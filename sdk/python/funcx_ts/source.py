"""A Python function's source, as the endpoint's worker will compile it."""
import ast
import inspect
import textwrap


def function_source(fn):
    """The `def` of fn, dedented and without decorators (they may not exist on the endpoint).

    Raises ValueError for what the worker cannot run by name: lambdas, async
    functions, builtins, or functions whose source is not available (typed at
    an interactive prompt without a file).
    """
    name = getattr(fn, "__name__", None)
    if not callable(fn) or not inspect.isfunction(fn):
        raise ValueError("register_function needs a Python function defined with def, not %r" % (fn,))
    if name == "<lambda>":
        raise ValueError("a lambda has no name to call on the endpoint; define it with def")
    if inspect.iscoroutinefunction(fn):
        raise ValueError("%s is async; the endpoint calls functions synchronously" % name)
    try:
        source = textwrap.dedent(inspect.getsource(fn))
    except (OSError, TypeError) as error:
        raise ValueError("the source of %s is not available (%s): the plain python3 prompt keeps none; "
                         "define it in a file or a notebook" % (name, error)) from None
    tree = ast.parse(source)
    node = next((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name), None)
    if node is None:
        raise ValueError("could not find 'def %s' in its source" % name)
    # node.lineno is the line of `def` itself (decorators have their own lines above it).
    lines = source.splitlines(True)
    end = getattr(node, "end_lineno", None) or len(lines)
    return "".join(lines[node.lineno - 1:end])
