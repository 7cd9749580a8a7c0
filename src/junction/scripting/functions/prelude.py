"""The JavaScript side of the function library, evaluated in every new context.

Each Python callable is registered as a ``__jf_<public name>`` global; the prelude takes
them, removes those globals (scripts see only the public names) and wraps each in a
function that turns its answer (see ``bridge``) into a value or a thrown ``Error``. It also
defines ``cyclr_now`` and the two exception classes. Kept short: it is compiled for every
execution, and compiling is most of what installing costs.
"""

from __future__ import annotations

PRIVATE_PREFIX = "__jf_"

PRELUDE = r"""(function (g) {
function wrap(f) {
  return function () {
    var r = f.apply(null, arguments), v = r.slice(1);
    if (r[0] === 's') return v;
    if (r[0] === 'j') return JSON.parse(v);
    throw new Error(v);
  };
}
for (var k in g) if (k.slice(0, 5) === '__jf_') { g[k.slice(5)] = wrap(g[k]); delete g[k]; }
g.cyclr_now = function () { return new Date().toISOString().replace('.000Z', 'Z'); };
function exception(name) {
  // Real Error objects (with a stack) whose prototype carries the name; new is optional.
  function E() { return Reflect.construct(Error, arguments, E); }
  E.prototype = Object.create(Error.prototype);
  E.prototype.constructor = E;
  E.prototype.name = name;
  Object.defineProperty(E, 'name', {value: name});
  g[name] = E;
}
exception('AuthRefreshException');
exception('AuthSessionException');
})(globalThis);
"""
