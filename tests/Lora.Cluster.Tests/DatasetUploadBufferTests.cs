using Lora.Grains.Jobs;

namespace Lora.Cluster.Tests;

public sealed class DatasetUploadBufferTests
{
    [Fact]
    public void Chunks_in_any_order_assemble_in_index_order()
    {
        var buffer = new DatasetUploadBuffer();
        buffer.Add(2, 3, "c");
        buffer.Add(0, 3, "a");
        buffer.Add(1, 3, "b");
        Assert.Equal("abc", buffer.Assemble());
    }

    [Fact]
    public void A_missing_chunk_is_named()
    {
        var buffer = new DatasetUploadBuffer();
        buffer.Add(0, 3, "a");
        Assert.Contains("chunks 1, 2 of 3 are missing", Assert.Throws<ArgumentException>(buffer.Assemble).Message);
    }

    [Fact]
    public void Crossing_the_dataset_limit_is_refused_and_drops_the_upload()
    {
        var buffer = new DatasetUploadBuffer(maxChunkChars: 10, maxDatasetChars: 25);
        buffer.Add(0, 3, new string('x', 10));
        buffer.Add(1, 3, new string('x', 10));
        var e = Assert.Throws<ArgumentException>(() => buffer.Add(2, 3, new string('x', 10)));
        Assert.Contains("exceeds the limit of 25 characters at chunk 2 of 3", e.Message);
        Assert.Equal("", buffer.Assemble());
        Assert.Contains("limit per chunk is 10", Assert.Throws<ArgumentException>(() => buffer.Add(0, 1, new string('x', 11))).Message);
    }

    [Fact]
    public void Re_sending_a_chunk_replaces_it_and_chunk_zero_with_a_new_count_starts_over()
    {
        var buffer = new DatasetUploadBuffer(maxChunkChars: 10, maxDatasetChars: 25);
        buffer.Add(0, 2, new string('a', 10));
        buffer.Add(0, 2, new string('b', 10));   // a retry counts once against the limit
        buffer.Add(1, 2, new string('c', 10));
        Assert.Contains("says 3 chunks in all, earlier chunks said 2",
            Assert.Throws<ArgumentException>(() => buffer.Add(1, 3, "x")).Message);
        buffer.Add(0, 1, "fresh");
        Assert.Equal("fresh", buffer.Assemble());
    }
}
