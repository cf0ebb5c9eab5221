/**
 * Endpoint protocols: how the model container a team deploys wants its
 * request framed and how it answers. One preset per container family sets
 * the request body, Content-Type, Accept and how the answer is read; the
 * fine-grained settings (shared/predict-env.ts) override single parts. The
 * model input profile stays the one source of the pixels; a protocol only
 * says how they travel. The Lambda's adapters (functions/predict/protocols/)
 * and the local model server's presentation of each container
 * (model-server/protocols.ts) both read this table.
 */

/** Preset names, as ENDPOINT_PROTOCOL, CDK context `endpointProtocol` and MODEL_SERVER_PROTOCOL spell them. */
export const ENDPOINT_PROTOCOLS = [
  'raw-image',
  'torchserve',
  'pytorch-dlc',
  'tensorflow-serving',
  'huggingface',
  'sagemaker-image-classification',
  'jumpstart-ic',
  'triton',
  'detection',
] as const;
export type EndpointProtocol = (typeof ENDPOINT_PROTOCOLS)[number];

/**
 * The model server's variable naming the protocol it presents: set by
 * `npm start` and, for the bundled model server deployed as `model: asset`,
 * by the CDK app, from the same `endpointProtocol` context.
 */
export const MODEL_SERVER_PROTOCOL_ENV = 'MODEL_SERVER_PROTOCOL';

/** The protocol when none is set: today's gateway (the profile's own body, `application/json` answers). */
export const DEFAULT_ENDPOINT_PROTOCOL: EndpointProtocol = 'raw-image';

/**
 * How the pixels travel in the body:
 * - `raw`: the encoded input itself (an image file or an `.npy` tensor);
 * - `base64`: its base64 text (e.g. a YOLO-style container's text body);
 * - `multipart`: a form with the input in one file field;
 * - `json`: a JSON template with a `"{{base64}}"` or `"{{tensor}}"` placeholder;
 * - `triton`: a KServe v2 inference request (JSON or binary+json tensors).
 */
export const BODY_ENCODINGS = ['raw', 'base64', 'multipart', 'json', 'triton'] as const;
export type BodyEncoding = (typeof BODY_ENCODINGS)[number];

/** Triton tensor data: inline JSON numbers, or the binary tensor data extension. */
export const TRITON_TENSOR_MODES = ['json', 'binary'] as const;
export type TritonTensorMode = (typeof TRITON_TENSOR_MODES)[number];

/**
 * `classification` reads labelled scores out of the answer; `passthrough`
 * returns the answer as `output`, untouched (detectors: their classes
 * index boxes, never a label list).
 */
export const OUTPUT_MODES = ['classification', 'passthrough'] as const;
export type OutputMode = (typeof OUTPUT_MODES)[number];

/** What the pixels must be for the body: a float tensor, an image file, or whatever the profile says. */
export type PixelForm = 'tensor' | 'image' | 'profile';

/** The JSON-string placeholders of a `json` body template. */
export const JSON_PLACEHOLDERS = { base64: '"{{base64}}"', tensor: '"{{tensor}}"' } as const;

export interface ProtocolPreset {
  readonly body: BodyEncoding;
  /** The request's Content-Type; undefined sends the encoded input's own media type. */
  readonly contentType: string | undefined;
  /** The request's Accept. */
  readonly accept: string;
  readonly pixels: PixelForm;
  /** `json` bodies: the template. */
  readonly jsonTemplate: string;
  /** `multipart` bodies: the file field's name. */
  readonly multipartField: string;
  readonly tritonTensorMode: TritonTensorMode;
  readonly tritonInputName: string;
  readonly tritonOutputName: string;
  /**
   * `tensor` bodies: put a batch dimension of 1 in front of the profile's
   * (height, width, 3), as framework containers feed the array to the
   * model as it is.
   */
  readonly batchDimension: boolean;
  readonly output: OutputMode;
  /** RFC 6901 pointer to the scores in the answer; empty: recognise the common shapes. */
  readonly scoresPointer: string;
  /** RFC 6901 pointer to the labels in the answer; empty: none (configured labels, or the shape's own). */
  readonly labelsPointer: string;
  /** The container's documented request and response contract. */
  readonly docs: string;
}

const BASE: ProtocolPreset = {
  body: 'raw',
  contentType: undefined,
  accept: 'application/json',
  pixels: 'profile',
  jsonTemplate: '{"instances":[{"b64":"{{base64}}"}]}',
  multipartField: 'image',
  tritonTensorMode: 'binary',
  tritonInputName: 'INPUT__0',
  tritonOutputName: 'OUTPUT__0',
  batchDimension: false,
  output: 'classification',
  scoresPointer: '',
  labelsPointer: '',
  docs: 'https://docs.aws.amazon.com/sagemaker/latest/dg/your-algorithms-inference-code.html',
};

/**
 * Each family's documented contract, as a preset. Sources are in `docs`;
 * the unit tables (functions/predict/protocols/*.test.ts) hold each
 * family's documented answers.
 */
export const PROTOCOL_PRESETS: Readonly<Record<EndpointProtocol, ProtocolPreset>> = {
  'raw-image': BASE,
  // ts/torch_handler/image_classifier.py: the body is the image file;
  // answers {label or class index: probability}, top 5.
  torchserve: {
    ...BASE,
    pixels: 'image',
    docs: 'https://pytorch.org/serve/default_handlers.html',
  },
  // sagemaker-pytorch-inference-toolkit's default handler decodes JSON,
  // CSV, NPY or NPZ into a tensor and answers the model's output as JSON.
  'pytorch-dlc': {
    ...BASE,
    pixels: 'tensor',
    contentType: 'application/x-npy',
    batchDimension: true,
    docs: 'https://sagemaker.readthedocs.io/en/stable/frameworks/pytorch/using_pytorch.html#serve-a-pytorch-model',
  },
  // TF Serving REST API, row format: {"signature_name", "instances"}; answers {"predictions": [...]}.
  'tensorflow-serving': {
    ...BASE,
    body: 'json',
    pixels: 'tensor',
    contentType: 'application/json',
    jsonTemplate: '{"signature_name":"serving_default","instances":["{{tensor}}"]}',
    docs: 'https://www.tensorflow.org/tfx/serving/api_rest#predict_api',
  },
  // sagemaker-huggingface-inference-toolkit: image/x-image (not application/x-image);
  // the image-classification pipeline answers [{label, score}].
  huggingface: {
    ...BASE,
    pixels: 'image',
    contentType: 'image/x-image',
    docs: 'https://huggingface.co/docs/sagemaker/reference#inference-toolkit-api',
  },
  // Built-in Image Classification: application/x-image in, a JSON array of
  // class probabilities out (labels are the deployer's).
  'sagemaker-image-classification': {
    ...BASE,
    pixels: 'image',
    contentType: 'application/x-image',
    docs: 'https://docs.aws.amazon.com/sagemaker/latest/dg/image-classification.html',
  },
  // JumpStart image classification: `application/json;verbose` adds
  // `labels` and `predicted_label` to `probabilities`.
  'jumpstart-ic': {
    ...BASE,
    pixels: 'image',
    contentType: 'application/x-image',
    accept: 'application/json;verbose',
    scoresPointer: '/probabilities',
    labelsPointer: '/labels',
    docs: 'https://github.com/aws/amazon-sagemaker-examples/blob/main/introduction_to_amazon_algorithms/jumpstart_image_classification/Amazon_JumpStart_Image_Classification.ipynb',
  },
  // Triton on SageMaker: KServe v2 requests, binary+json tensors.
  triton: {
    ...BASE,
    body: 'triton',
    pixels: 'tensor',
    contentType: undefined,
    batchDimension: true,
    docs: 'https://docs.aws.amazon.com/sagemaker/latest/dg/triton.html',
  },
  // JumpStart object detection, verbose: normalized_boxes, classes, scores, labels.
  detection: {
    ...BASE,
    pixels: 'image',
    contentType: 'application/x-image',
    accept: 'application/json;verbose',
    output: 'passthrough',
    docs: 'https://github.com/aws/amazon-sagemaker-examples/blob/main/introduction_to_amazon_algorithms/jumpstart_object_detection/Amazon_JumpStart_Object_Detection.ipynb',
  },
};
