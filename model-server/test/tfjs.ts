/**
 * TensorFlow.js (pure-JS CPU backend) as the tests' reference. Production
 * mode only silences its advice to install tfjs-node, which cannot be
 * installed here (it downloads libtensorflow).
 */
import * as tf from '@tensorflow/tfjs';

tf.enableProdMode();

export { tf };
