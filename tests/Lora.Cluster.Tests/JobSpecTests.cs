using Lora.Abstractions;

namespace Lora.Cluster.Tests;

/// <summary>A resubmission is recognised by <see cref="JobSpec.SameAs"/>, whatever a client sent for the target list.</summary>
public sealed class JobSpecTests
{
    private static readonly JobSpec Spec = new() { JobId = "job-1", BaseModel = "tiny" };

    /// <summary>SameAs binds to the span overload of SequenceEqual (C# 14), where a null array is an empty span;
    /// Enumerable.SequenceEqual would throw ArgumentNullException here instead of answering.</summary>
    [Fact]
    public void A_missing_target_list_differs_from_a_given_one_without_throwing()
    {
        var withoutTargets = Spec with { Targets = null! };   // what a JSON client sends as "targets": null
        Assert.False(Spec.SameAs(withoutTargets));
        Assert.False(withoutTargets.SameAs(Spec));
        Assert.True(withoutTargets.SameAs(Spec with { Targets = null! }));
    }

    [Fact]
    public void Equal_target_lists_in_different_arrays_are_the_same_spec() =>
        Assert.True(Spec.SameAs(Spec with { Targets = [.. Spec.Targets] }));
}
