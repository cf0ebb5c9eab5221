/**
 * Accumulates the ONNX graph a conversion emits (nodes and initializers) and
 * accounts for the source weights: each must be used exactly once, so a
 * forgotten tensor fails the build instead of silently changing the model.
 */
import { ConversionError, type KerasLayer } from './keras-topology.ts';
import type { Attribute, OnnxNode, OnnxTensor } from './onnx.ts';
import type { DecodedWeight } from './tfjs-weights.ts';

/** A value in the graph: its ONNX name and shape without the batch ([C, H, W] or [features]). */
export interface Value {
  readonly name: string;
  readonly shape: readonly number[];
}

/** The graph under construction and the weights it may still use. */
export class GraphBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxTensor[] = [];
  private readonly unused: Set<string>;
  private readonly weights: ReadonlyMap<string, DecodedWeight>;

  constructor(weights: ReadonlyMap<string, DecodedWeight>) {
    this.weights = weights;
    this.unused = new Set(weights.keys());
  }

  /** Adds a node with one output named like the node; returns that name. */
  add(op: string, name: string, inputs: string[], attributes: Attribute[] = []): string {
    this.nodes.push({ name, op, inputs, outputs: [name], attributes });
    return name;
  }

  /** Adds a float32 initializer; returns its name. */
  float(name: string, dims: number[], values: Float32Array): string {
    this.initializers.push({ name, dims, float: values });
    return name;
  }

  /** Adds a 1-D int64 initializer; returns its name. */
  int64(name: string, values: number[]): string {
    this.initializers.push({
      name,
      dims: [values.length],
      int64: BigInt64Array.from(values, (v) => BigInt(v)),
    });
    return name;
  }

  /**
   * The weight `key` of `layer`, which must have `shape`; marks it used.
   * @throws ConversionError when it is missing or shaped otherwise
   */
  weight(layer: KerasLayer, key: string, shape: readonly number[]): Float32Array {
    const name = `${layer.name}/${key}`;
    const weight = this.weights.get(name);
    if (weight === undefined) throw new ConversionError(`Weight ${name} is missing`);
    if (weight.shape.join() !== shape.join()) {
      throw new ConversionError(
        `Weight ${name} has shape [${weight.shape.join(', ')}], expected [${shape.join(', ')}]`,
      );
    }
    this.unused.delete(name);
    return weight.values;
  }

  /** An optional weight (e.g. BatchNormalization's gamma when `scale` is false). */
  weightOr(layer: KerasLayer, key: string, shape: number[], fallback: number): Float32Array {
    return this.weights.has(`${layer.name}/${key}`)
      ? this.weight(layer, key, shape)
      : new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(fallback);
  }

  /** @throws ConversionError naming every weight no layer used */
  assertAllWeightsUsed(): void {
    if (this.unused.size > 0) {
      throw new ConversionError(`Weights not used by any layer: ${[...this.unused].join(', ')}`);
    }
  }
}
