/**
 * The Keras side of the conversion: the shape of a TensorFlow.js layers
 * model's `modelTopology` (a Keras functional model config), and the error
 * for anything the converter cannot translate faithfully.
 */

/** `[layer name, node index, tensor index, kwargs?]`: where a layer's input comes from. */
export type InboundRef = readonly [string, number, number, unknown?];

export interface KerasLayer {
  readonly name: string;
  readonly class_name: string;
  readonly config: Readonly<Record<string, unknown>>;
  readonly inbound_nodes: ReadonlyArray<ReadonlyArray<InboundRef>>;
}

export interface KerasModelConfig {
  readonly class_name: string;
  readonly config: {
    readonly name: string;
    readonly layers: readonly KerasLayer[];
    readonly input_layers: ReadonlyArray<InboundRef>;
    readonly output_layers: ReadonlyArray<InboundRef>;
  };
}

/**
 * A layers model's topology: Keras-converted files wrap the model config
 * in `model_config`; models saved by tfjs itself are the model config.
 */
export type KerasTopology = { readonly model_config: KerasModelConfig } | KerasModelConfig;

/** Thrown for a topology the converter cannot translate faithfully. */
export class ConversionError extends Error {
  override readonly name = 'ConversionError';
}
