using Backup.Core.Storage;
using Backup.Testing;
using Backup.Testing.Storage;

namespace Backup.Storage.S3.Tests;

/// <summary>The store contract, for the S3 store on the test server: each store a fresh bucket (not yet made), removed after the test.</summary>
public sealed class S3BlobStoreConformanceTests : BlobStoreConformance
{
    private readonly Dictionary<IBlobStore, S3TestBucket> _buckets = [];

    protected override string? SkipReason => TestServers.Required ? null : TestServers.S3SkipReason;

    protected override Task<IBlobStore> CreateStoreAsync()
    {
        var bucket = S3TestBucket.Missing();
        var store = bucket.Open();
        _buckets[store] = bucket;
        return Task.FromResult<IBlobStore>(store);
    }

    protected override async Task DeleteStoreAsync(IBlobStore store)
    {
        if (_buckets.Remove(store, out var bucket))
        {
            await bucket.DisposeAsync();
        }
    }
}
