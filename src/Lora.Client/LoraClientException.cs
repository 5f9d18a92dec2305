namespace Lora.Client;

/// <summary>A failure the caller can act on (unknown job, unknown base model, unreachable cluster, lost gateway); the
/// message is meant to be shown to a user as is. Not sealed: <see cref="JobStartException"/> refines it, so one
/// <c>catch (LoraClientException)</c> covers every SDK error.</summary>
public class LoraClientException : Exception
{
    /// <summary>Creates the exception with a user-facing message.</summary>
    public LoraClientException(string message) : base(message) { }

    /// <summary>Creates the exception with a user-facing message and the underlying cause.</summary>
    public LoraClientException(string message, Exception inner) : base(message, inner) { }
}
