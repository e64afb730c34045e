// How containers (stackCells, bidirectional, cellLayer, stackLayers, Encoder, Decoder, Seq2Seq) take
// ownership of a part's parameters, so `parameters()` and state dicts include them whatever the part is.
import { Module, Parameter, Tensor } from '@unroll/autograd';

/** How deep `adoptPart` looks into a plain part's properties (objects and arrays). */
const MAX_DEPTH = 6;

/**
 * Registers `part` under `name` in `owner`. A Module is registered as a child. Anything else (a plain
 * class or object keeping the cell protocol) is searched through its own properties, nested plain
 * objects and arrays: every leaf Tensor that requires a gradient becomes a parameter and every Module a
 * child, under the property path (`0.weights.w`), so the optimizer trains the very tensors `step` uses.
 * A plain part in which nothing trainable is found is refused when `required` (its weights may sit in a
 * closure, where no container can see them: then it must extend Module), else left unregistered.
 */
export function adoptPart(owner: Module, name: string, part: unknown, who: string, what: string, required = true): void {
  if (part instanceof Module) {
    checkRegistered(part, who, what);
    owner.registerModule(name, part);
    return;
  }
  if (typeof part !== 'object' || part === null) return;
  const holder = collect(part, 0, new Set());
  if (holder) {
    owner.registerModule(name, holder);
    return;
  }
  if (required) {
    throw new TypeError(
      `${who}: ${what} is not a Module and none of its properties holds a trainable tensor, so parameters() ` +
      `could not include its weights and an optimizer would never update them; write it as a class that extends ` +
      `Module and registers its weights (this.w = this.registerParameter('w', new Parameter(...))), as the rnn README's MGU does`);
  }
}

/**
 * A Module whose property holds a Parameter it never registered (`this.w = new Parameter(...)` without
 * `registerParameter`) would train nothing through that weight: refused, naming the property.
 */
function checkRegistered(part: Module, who: string, what: string): void {
  const registered = new Set<Tensor>(part.parameters());
  for (const [path, m] of part.namedModules()) {
    for (const [key, value] of Object.entries(m)) {
      if (value instanceof Parameter && !registered.has(value)) {
        const where = path ? `${path}.${key}` : key;
        throw new TypeError(`${who}: ${what} (${m.constructor.name}) holds the Parameter '${where}' but never registered it, so parameters() ` +
          `would leave it out and an optimizer would never update it; register it: this.${key} = this.registerParameter('${key}', ...)`);
      }
    }
  }
}

/** The trainable tensors and Modules reachable from `value`'s own properties as a Module tree, or null if none. */
function collect(value: object, depth: number, seen: Set<object>): Module | null {
  if (depth > MAX_DEPTH || seen.has(value)) return null;
  seen.add(value);
  const holder = new Module();
  let found = false;
  for (const [key, item] of Object.entries(value)) {
    const name = key.replace(/\./g, '_') || '_';
    if (item instanceof Tensor) {
      // Only leaves that require a gradient are trained; registering the tensor itself keeps one object
      // for step() and the optimizer. (Module keeps whatever it is given; Parameter is the usual type.)
      if (item.requiresGrad && item.node === null) { holder.registerParameter(name, item as Parameter); found = true; }
    } else if (item instanceof Module) {
      holder.registerModule(name, item);
      found = true;
    } else if (typeof item === 'object' && item !== null && isWalkable(item)) {
      const child = collect(item, depth + 1, seen);
      if (child) { holder.registerModule(name, child); found = true; }
    }
  }
  return found ? holder : null;
}

/** Plain objects, arrays and user class instances; not typed arrays, Maps, Sets, Promises or the like. */
function isWalkable(v: object): boolean {
  if (Array.isArray(v)) return true;
  if (ArrayBuffer.isView(v) || v instanceof Map || v instanceof Set || v instanceof Promise || v instanceof Date) return false;
  return true;
}
