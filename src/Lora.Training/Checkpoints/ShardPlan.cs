using System.Globalization;
using System.Text.RegularExpressions;

namespace Lora.Training.Checkpoints;

/// <summary>
/// How a state dict is split into safetensors shards, the way transformers' save_pretrained does it: tensors in
/// order, a new shard when the next one would pass the limit, and a tensor bigger than the limit in a shard of its
/// own. Shards are named model-00001-of-00003.safetensors and listed in model.safetensors.index.json.
/// </summary>
public static partial class ShardPlan
{
    /// <summary>transformers' default max_shard_size ("5GB").</summary>
    public const long DefaultMaxShardBytes = 5_000_000_000;

    /// <summary>Tensor indices per shard; one shard when everything fits.</summary>
    public static IReadOnlyList<IReadOnlyList<int>> Split(IReadOnlyList<long> tensorBytes, long maxShardBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxShardBytes, 1);
        var shards = new List<List<int>>();
        List<int>? current = null;
        long size = 0;
        for (var i = 0; i < tensorBytes.Count; i++)
        {
            if (current is null || (current.Count > 0 && size + tensorBytes[i] > maxShardBytes))
            {
                shards.Add(current = []);
                size = 0;
            }
            current.Add(i);
            size += tensorBytes[i];
        }
        return shards.Count == 0 ? [Array.Empty<int>()] : shards;
    }

    public static string ShardName(int index, int count) =>
        string.Create(CultureInfo.InvariantCulture, $"model-{index + 1:D5}-of-{count:D5}.safetensors");

    /// <summary>Whether a file name is one this plan would write (so a re-export can remove stale shards, and only those).</summary>
    public static bool IsShardName(string fileName) => ShardPattern().IsMatch(fileName);

    /// <summary>"5GB", "500MB", "64KB" (powers of 1000, as transformers reads them), "2GiB", "512MiB", "64KiB"
    /// (powers of 1024), or plain bytes.</summary>
    public static long ParseSize(string text)
    {
        var m = SizePattern().Match(text ?? "");
        if (!m.Success || !double.TryParse(m.Groups[1].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
            throw new FormatException($"'{text}' is not a size like 5GB, 500MB or 2GiB.");
        var unit = m.Groups[2].Value.ToUpperInvariant() switch
        {
            "" or "B" => 1d,
            "KB" => 1e3, "MB" => 1e6, "GB" => 1e9,
            "KIB" => 1024d, "MIB" => 1024d * 1024, _ => 1024d * 1024 * 1024,
        };
        var bytes = number * unit;
        if (!(bytes >= 1) || bytes > long.MaxValue) throw new FormatException($"'{text}' must be at least 1 byte.");
        return (long)bytes;
    }

    [GeneratedRegex(@"^model-\d{5}-of-\d{5}\.safetensors$")]
    private static partial Regex ShardPattern();

    [GeneratedRegex(@"^\s*([0-9]+(?:\.[0-9]+)?)\s*(B|KB|MB|GB|KiB|MiB|GiB)?\s*$", RegexOptions.IgnoreCase)]
    private static partial Regex SizePattern();
}
