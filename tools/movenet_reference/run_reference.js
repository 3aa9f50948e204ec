// Run the original MoveNet MultiPose TFJS graph (pure-JS CPU backend) on one input and dump
// the tensors at the given graph nodes, so the PyTorch port can be checked against it.
// Usage: node run_reference.js MODEL_DIR INPUT.u8 HEIGHT WIDTH OUT_DIR NODE [NODE ...]
//   INPUT.u8: raw uint8 RGB pixels, HEIGHT x WIDTH x 3 (the graph's int32 input).
// Another graph of the same package: MODEL_DIR may name its .json file instead of the folder, and
// an INPUT.f32 (raw float32, HEIGHT x WIDTH x 3) is fed as the float input `input_1`
// (tools/tfjs_graph.py is checked this way on BlazePose).
// Writes OUT_DIR/<i>.f32 (raw little-endian float32, NHWC) and OUT_DIR/index.json (names, shapes).
'use strict';
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs');

// A custom IOHandler: the json's topology + manifest and the .bin as one ArrayBuffer.
function fileHandler(jsonPath) {
  return {
    load: async () => {
      const model = JSON.parse(fs.readFileSync(jsonPath, 'utf8'));
      const specs = [];
      const buffers = [];
      for (const group of model.weightsManifest) {
        specs.push(...group.weights);
        for (const p of group.paths) buffers.push(fs.readFileSync(path.join(path.dirname(jsonPath), p)));
      }
      const all = Buffer.concat(buffers);
      return {
        modelTopology: model.modelTopology,
        format: model.format,
        generatedBy: model.generatedBy,
        convertedBy: model.convertedBy,
        signature: model.signature,
        weightSpecs: specs,
        weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
      };
    },
  };
}

async function main() {
  const [modelDir, inputPath, h, w, outDir, ...nodes] = process.argv.slice(2);
  if (!nodes.length) throw new Error('usage: run_reference.js MODEL_DIR INPUT.u8 H W OUT_DIR NODE...');
  await tf.setBackend('cpu');
  const json = modelDir.endsWith('.json') ? modelDir : path.join(modelDir, 'movenet-multipose.json');
  const model = await tf.loadGraphModel(fileHandler(json));
  const raw = fs.readFileSync(inputPath);
  const H = Number(h), W = Number(w);
  const float = inputPath.endsWith('.f32');
  const values = float ? new Float32Array(raw.buffer, raw.byteOffset, raw.length / 4) : Int32Array.from(raw);
  if (values.length !== H * W * 3) throw new Error(`input has ${values.length} values, expected ${H * W * 3}`);
  const input = tf.tensor4d(values, [1, H, W, 3], float ? 'float32' : 'int32');
  const t0 = Date.now();
  const outs = await model.executeAsync({ [float ? 'input_1' : 'input']: input }, nodes);
  const ms = Date.now() - t0;
  fs.mkdirSync(outDir, { recursive: true });
  const index = { tfjs_version: tf.version.tfjs, backend: tf.getBackend(), ms, outputs: [] };
  for (let i = 0; i < nodes.length; i++) {
    const t = Array.isArray(outs) ? outs[i] : outs;
    const data = await t.data();
    fs.writeFileSync(path.join(outDir, `${i}.f32`), Buffer.from(Float32Array.from(data).buffer));
    index.outputs.push({ node: nodes[i], shape: t.shape, dtype: t.dtype, file: `${i}.f32` });
  }
  fs.writeFileSync(path.join(outDir, 'index.json'), JSON.stringify(index, null, 1));
  console.log(`tfjs ${tf.version.tfjs} (${tf.getBackend()}): ${nodes.length} tensors in ${ms} ms`);
}

main().catch((e) => { console.error(e.stack || String(e)); process.exit(1); });
