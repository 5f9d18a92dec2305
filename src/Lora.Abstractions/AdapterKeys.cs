namespace Lora.Abstractions;

/// <summary>Adapter grains are keyed "{baseModel}/{jobId}".</summary>
public static class AdapterKeys
{
    public static string For(string baseModel, string jobId) => $"{baseModel}/{jobId}";

    public static string BaseModelOf(string key)
    {
        var slash = key.IndexOf('/');
        return slash <= 0 ? throw new ArgumentException($"adapter key '{key}' is not of the form baseModel/jobId.") : key[..slash];
    }

    public static string JobIdOf(string key) => key[(key.IndexOf('/') + 1)..];

    /// <summary>Job ids and model ids: 1–128 chars of letters, digits, '.', '_', '-' (they become keys and file names).</summary>
    public static bool IsValidId(string? id) =>
        !string.IsNullOrEmpty(id) && id.Length <= 128 && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');
}
