using Lora.Abstractions;
using Orleans.Runtime.Messaging;

namespace Lora.Client;

/// <summary>The SDK's error contract for calls into the cluster: failures a user can act on become
/// <see cref="LoraClientException"/> with the cause in the message; everything else (the silo's validation errors,
/// which name the offending field) passes through unchanged.</summary>
internal static class ClusterErrors
{
    /// <summary>The exception to throw instead of <paramref name="e"/>, or null to let it pass.</summary>
    public static LoraClientException? Translate(Exception e, LoraClientOptions options) => e switch
    {
        LoraClientException => null,
        UnknownBaseModelException => new LoraClientException(e.Message, e),
        // Orleans reports an unanswered request (silo gone, or busy past the method's response timeout) as a timeout.
        TimeoutException => new LoraClientException($"no answer in time from {options.Describe()}: {e.Message}", e),
        OrleansMessageRejectionException or ConnectionFailedException or GatewayTooBusyException or ClientNotAvailableException =>
            new LoraClientException($"lost contact with {options.Describe()}: {e.Message}", e),
        _ => null,
    };
}
