using System.Text.Json;
using Lora.Reference;

namespace Lora.Reference.Tests;

/// <summary>
/// Builds random small HF-layout checkpoints and PEFT adapters on disk. Random values are rounded
/// to float32 at generation so an F32 round trip through disk is exact.
/// </summary>
public sealed class FixtureBuilder
{
    private FixtureBuilder()
    {
    }

    public static Dictionary<string, DoubleTensor> RandomWeights(TinyModelSpec spec, int seed, double scale = 0.3)
    {
        var rng = new Random(seed);
        var w = new Dictionary<string, DoubleTensor>(StringComparer.Ordinal);
        int h = spec.HiddenSize, q = spec.Heads * spec.HeadDim, kv = spec.KvHeads * spec.HeadDim, m = spec.IntermediateSize;
        w["model.embed_tokens.weight"] = Random(rng, scale, spec.VocabSize, h);
        for (int n = 0; n < spec.Layers; n++)
        {
            string p = $"model.layers.{n}.";
            w[p + "input_layernorm.weight"] = Norm(rng, h);
            w[p + "self_attn.q_proj.weight"] = Random(rng, scale, q, h);
            w[p + "self_attn.k_proj.weight"] = Random(rng, scale, kv, h);
            w[p + "self_attn.v_proj.weight"] = Random(rng, scale, kv, h);
            w[p + "self_attn.o_proj.weight"] = Random(rng, scale, h, q);
            if (spec.QkvBias)
            {
                w[p + "self_attn.q_proj.bias"] = Random(rng, scale, q);
                w[p + "self_attn.k_proj.bias"] = Random(rng, scale, kv);
                w[p + "self_attn.v_proj.bias"] = Random(rng, scale, kv);
            }
            w[p + "post_attention_layernorm.weight"] = Norm(rng, h);
            w[p + "mlp.gate_proj.weight"] = Random(rng, scale, m, h);
            w[p + "mlp.up_proj.weight"] = Random(rng, scale, m, h);
            w[p + "mlp.down_proj.weight"] = Random(rng, scale, h, m);
        }
        w["model.norm.weight"] = Norm(rng, h);
        if (!spec.TieWordEmbeddings) w["lm_head.weight"] = Random(rng, scale, spec.VocabSize, h);
        return w;
    }

    /// <summary>Uniform in [-scale, scale), rounded to float32.</summary>
    public static DoubleTensor Random(Random rng, double scale, params int[] shape)
    {
        var data = new double[shape.Aggregate(1, (a, b) => a * b)];
        for (int i = 0; i < data.Length; i++) data[i] = (float)((rng.NextDouble() * 2 - 1) * scale);
        return new DoubleTensor(shape, data);
    }

    public static DoubleTensor Filled(double value, params int[] shape) =>
        new(shape, Enumerable.Repeat(value, shape.Aggregate(1, (a, b) => a * b)).ToArray());

    /// <summary>Writes config.json plus one model.safetensors, or a sharded set with model.safetensors.index.json.</summary>
    public static void WriteModel(string dir, TinyModelSpec spec, IReadOnlyDictionary<string, DoubleTensor> weights,
        string dtype = "F32", int shards = 1)
    {
        File.WriteAllText(Path.Combine(dir, "config.json"), spec.ConfigJson());
        if (shards == 1)
        {
            SafetensorsWriter.Write(Path.Combine(dir, "model.safetensors"), weights, dtype, new Dictionary<string, string> { ["format"] = "pt" });
            return;
        }
        var names = weights.Keys.ToList();
        var weightMap = new Dictionary<string, string>();
        for (int s = 0; s < shards; s++)
        {
            string file = $"model-{s + 1:D5}-of-{shards:D5}.safetensors";
            var part = names.Where((_, i) => i % shards == s).ToDictionary(n => n, n => weights[n]);
            SafetensorsWriter.Write(Path.Combine(dir, file), part, dtype);
            foreach (string n in part.Keys) weightMap[n] = file;
        }
        File.WriteAllText(Path.Combine(dir, "model.safetensors.index.json"),
            JsonSerializer.Serialize(new { metadata = new { total_size = 0 }, weight_map = weightMap }));
    }

    /// <summary>Writes a PEFT adapter dir; pairs are keyed by module path, e.g. "model.layers.0.self_attn.q_proj".</summary>
    public static void WriteAdapter(string dir, int rank, double alpha, bool useRsLora,
        IReadOnlyDictionary<string, (DoubleTensor A, DoubleTensor B)> pairs)
    {
        var config = new Dictionary<string, object>
        {
            ["peft_type"] = "LORA",
            ["r"] = rank,
            ["lora_alpha"] = alpha,
            ["use_rslora"] = useRsLora,
            ["lora_dropout"] = 0.05,
            ["target_modules"] = pairs.Keys.Select(k => k.Split('.')[^1]).Distinct().ToArray(),
            ["rank_pattern"] = new Dictionary<string, int>(),
            ["alpha_pattern"] = new Dictionary<string, int>(),
        };
        File.WriteAllText(Path.Combine(dir, "adapter_config.json"), JsonSerializer.Serialize(config));
        var tensors = new Dictionary<string, DoubleTensor>();
        foreach (var (module, (a, b)) in pairs)
        {
            tensors[$"base_model.model.{module}.lora_A.weight"] = a;
            tensors[$"base_model.model.{module}.lora_B.weight"] = b;
        }
        SafetensorsWriter.Write(Path.Combine(dir, "adapter_model.safetensors"), tensors, "F32");
    }

    /// <summary>Random A [r,in] and B [out,r] for each module (B nonzero, unlike PEFT's init, so the delta is visible).</summary>
    public static Dictionary<string, (DoubleTensor A, DoubleTensor B)> RandomAdapter(
        IReadOnlyDictionary<string, DoubleTensor> baseWeights, int rank, int seed, params string[] modules)
    {
        var rng = new Random(seed);
        var pairs = new Dictionary<string, (DoubleTensor, DoubleTensor)>();
        foreach (string module in modules)
        {
            int[] shape = baseWeights[module + ".weight"].Shape;
            pairs[module] = (Random(rng, 0.3, rank, shape[1]), Random(rng, 0.3, shape[0], rank));
        }
        return pairs;
    }

    private static DoubleTensor Norm(Random rng, int size)
    {
        var data = new double[size];
        for (int i = 0; i < size; i++) data[i] = (float)(1.0 + (rng.NextDouble() - 0.5) * 0.2);
        return new DoubleTensor([size], data);
    }
}
