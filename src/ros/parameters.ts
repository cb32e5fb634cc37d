import type {
  Disposable,
  ParameterChange,
  ParameterDescriptor,
  ParameterListener,
  ParameterType,
  ParameterValidator,
  ParameterValue,
  SetParametersResult,
} from "./GraphPort.js";
import { ParameterError } from "./errors.js";

const OK: SetParametersResult = { successful: true, reason: "" };

function typeOf(value: ParameterValue): ParameterType | undefined {
  if (typeof value === "boolean") return "bool";
  if (typeof value === "string") return "string";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "double";
  if (Array.isArray(value)) {
    if (value.every((v) => typeof v === "string")) return "string_array";
    if (value.every((v) => typeof v === "number")) return "double_array";
  }
  return undefined;
}

/** Coerces what YAML or the command line gave (an integer 1 for a double, say) to the declared type. */
export function coerceParameterValue(type: ParameterType, value: ParameterValue): ParameterValue {
  if (type === "double" && typeof value === "number") return value;
  if (type === "string_array" && Array.isArray(value) && value.length === 0) return [];
  if (type === "double_array" && Array.isArray(value) && value.length === 0) return [];
  return value;
}

function inRange(value: number, range: { from: number; to: number; step?: number }): boolean {
  // Tolerance as in rclcpp: ranges are inclusive and step is checked relative to `from`.
  const eps = 1e-9 * Math.max(1, Math.abs(range.to - range.from));
  if (value < range.from - eps || value > range.to + eps) return false;
  if (range.step && range.step > 0) {
    const steps = (value - range.from) / range.step;
    const onStep = Math.abs(steps - Math.round(steps)) < 1e-6;
    return onStep || Math.abs(value - range.to) < eps;
  }
  return true;
}

/** Why `value` breaks `descriptor`, or undefined when it is acceptable. */
export function checkParameterValue(descriptor: ParameterDescriptor, value: ParameterValue): string | undefined {
  const actual = typeOf(value);
  const typeMatches =
    actual === descriptor.type ||
    (descriptor.type === "double" && actual === "integer") ||
    (descriptor.type === "double_array" && actual === "string_array" && (value as readonly unknown[]).length === 0);
  if (!typeMatches) return `expects type ${descriptor.type}, got ${actual ?? typeof value} (${JSON.stringify(value)})`;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) return `must be a finite number, got ${value}`;
    const range = descriptor.type === "integer" ? descriptor.integerRange : descriptor.floatingPointRange;
    if (range && !inRange(value, range)) {
      return `value ${value} is outside the range [${range.from}, ${range.to}]${range.step ? ` with step ${range.step}` : ""}`;
    }
  }
  if (typeof value === "string" && descriptor.allowedValues && !descriptor.allowedValues.includes(value)) {
    return `value "${value}" is not one of: ${descriptor.allowedValues.join(", ")}`;
  }
  return undefined;
}

/**
 * The parameter semantics of a ROS 2 node, independent of transport: declared with a
 * descriptor, set atomically, vetted by validators, and announced to listeners.
 */
export class ParameterTable {
  private readonly descriptors = new Map<string, ParameterDescriptor>();
  private readonly values = new Map<string, ParameterValue>();
  private readonly validators = new Set<ParameterValidator>();
  private readonly listeners = new Set<ParameterListener>();
  /** Overrides from the command line or params files that failed their descriptor. */
  readonly rejectedOverrides: { name: string; reason: string }[] = [];

  constructor(private readonly overrides: Readonly<Record<string, ParameterValue>> = {}) {}

  declare(descriptor: ParameterDescriptor): ParameterValue {
    if (this.descriptors.has(descriptor.name)) throw new ParameterError(descriptor.name, "is already declared");
    const defaultProblem = checkParameterValue(descriptor, descriptor.defaultValue);
    if (defaultProblem) throw new ParameterError(descriptor.name, `default ${defaultProblem}`);
    let value = descriptor.defaultValue;
    if (Object.hasOwn(this.overrides, descriptor.name)) {
      const override = coerceParameterValue(descriptor.type, this.overrides[descriptor.name]!);
      const problem = checkParameterValue(descriptor, override);
      if (problem) this.rejectedOverrides.push({ name: descriptor.name, reason: problem });
      else value = override;
    }
    this.descriptors.set(descriptor.name, descriptor);
    this.values.set(descriptor.name, value);
    return value;
  }

  has(name: string): boolean {
    return this.descriptors.has(name);
  }

  get(name: string): ParameterValue {
    const value = this.values.get(name);
    if (value === undefined) throw new ParameterError(name, "is not declared");
    return value;
  }

  descriptor(name: string): ParameterDescriptor | undefined {
    return this.descriptors.get(name);
  }

  names(): string[] {
    return [...this.descriptors.keys()].sort();
  }

  /** Vets the whole batch (descriptors, then validators) without applying it. */
  check(values: Readonly<Record<string, ParameterValue>>): { result: SetParametersResult; changes: ParameterChange[] } {
    const changes: ParameterChange[] = [];
    for (const [name, raw] of Object.entries(values)) {
      const descriptor = this.descriptors.get(name);
      if (!descriptor) return { result: { successful: false, reason: `parameter ${name} is not declared` }, changes: [] };
      if (descriptor.readOnly) return { result: { successful: false, reason: `parameter ${name} is read-only` }, changes: [] };
      const newValue = coerceParameterValue(descriptor.type, raw);
      const problem = checkParameterValue(descriptor, newValue);
      if (problem) return { result: { successful: false, reason: `parameter ${name} ${problem}` }, changes: [] };
      changes.push({ name, oldValue: this.values.get(name)!, newValue });
    }
    for (const validator of this.validators) {
      const verdict = validator(changes);
      if (!verdict.successful) return { result: verdict, changes: [] };
    }
    return { result: OK, changes };
  }

  /** Applies all or nothing; listeners hear only applied batches. */
  set(values: Readonly<Record<string, ParameterValue>>): SetParametersResult {
    const { result, changes } = this.check(values);
    if (!result.successful) return result;
    this.commit(changes);
    return OK;
  }

  /** Stores already-vetted changes and tells listeners (used by transports that vet elsewhere). */
  commit(changes: readonly ParameterChange[]): void {
    for (const change of changes) this.values.set(change.name, change.newValue);
    if (changes.length === 0) return;
    for (const listener of this.listeners) listener(changes);
  }

  addValidator(validator: ParameterValidator): Disposable {
    this.validators.add(validator);
    return { dispose: () => this.validators.delete(validator) };
  }

  addListener(listener: ParameterListener): Disposable {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }
}
