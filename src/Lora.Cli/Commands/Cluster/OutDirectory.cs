using Lora.Client;

namespace Lora.Cli.Commands.Cluster;

/// <summary>Up-front checks of an output-directory flag (`download --out`, `train-local --out`): the write happens
/// only after a download or a whole training run, too late to learn that the path was unusable.</summary>
public static class OutDirectory
{
    /// <summary>Throws <see cref="LoraClientException"/> naming <paramref name="flag"/> when <paramref name="path"/> is
    /// blank or names an existing file (a directory, existing or not, is fine).</summary>
    public static string Check(string flag, string? path)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new LoraClientException($"{flag} must name a directory (got '{path}').");
        if (File.Exists(path)) throw new LoraClientException($"{flag}: '{path}' is an existing file, not a directory.");
        return path;
    }
}
