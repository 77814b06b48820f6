using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;
using Polly.Retry;

namespace Backup.Core.Storage;

/// <summary>
/// A store that retries another store's calls which throw <see cref="TransientStoreException"/>, and only those,
/// with exponential backoff and jitter (<see cref="StoreRetryOptions"/>); any other exception, and cancellation,
/// ends the call at once. When the attempts are used up the last <see cref="TransientStoreException"/> is thrown.
/// Each retry is logged at Warning with the store's <see cref="IBlobStore.Location"/> (never a credential), the
/// operation, the file, the attempt and the delay.
/// <para>
/// What the inner store must guarantee (<see cref="IBlobStore"/>): a call may be made again after it threw, and an
/// upload's <see cref="IBlobUpload.CommitAsync"/> is retryable. An upload's appends are local and are not retried;
/// its commit is. A listing is retried only until its first item has been yielded: after that, a failure is thrown to
/// the caller, who has seen part of it. Thread-safe as the inner store is; disposing this disposes the inner store.
/// </para>
/// </summary>
public sealed class RetryingBlobStore : IBlobStore
{
    private static readonly ResiliencePropertyKey<string> s_operation = new("backup.store.operation");
    private static readonly ResiliencePropertyKey<string> s_name = new("backup.store.name");

    private readonly IBlobStore _inner;
    private readonly ResiliencePipeline _pipeline;
    private readonly ILogger _logger;
    private readonly int _maxAttempts;

    /// <summary>
    /// Wraps <paramref name="inner"/>. <paramref name="options"/> defaults to <see cref="StoreRetryOptions"/>'s
    /// defaults, <paramref name="timeProvider"/> (which times the delays) to the system clock.
    /// </summary>
    public RetryingBlobStore(IBlobStore inner, StoreRetryOptions? options = null, TimeProvider? timeProvider = null, ILogger<RetryingBlobStore>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(inner);
        options ??= new StoreRetryOptions();
        options.Validate();
        _inner = inner;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _maxAttempts = options.MaxAttempts;
        var builder = new ResiliencePipelineBuilder { TimeProvider = timeProvider ?? TimeProvider.System };
        if (options.MaxAttempts > 1)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<TransientStoreException>(),
                MaxRetryAttempts = options.MaxAttempts - 1,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.BaseDelay,
                MaxDelay = options.MaxDelay,
                OnRetry = LogRetry,
            });
        }
        _pipeline = builder.Build();
    }

    /// <inheritdoc/>
    public string Location => _inner.Location;

    /// <inheritdoc/>
    public Task CreateAsync(CancellationToken cancellationToken) =>
        RunAsync("create", null, ct => _inner.CreateAsync(ct), cancellationToken);

    /// <inheritdoc/>
    public Task<bool> IsEmptyAsync(CancellationToken cancellationToken) =>
        RunAsync("check empty", null, ct => _inner.IsEmptyAsync(ct), cancellationToken);

    /// <inheritdoc/>
    public Task WriteAsync(BlobKind kind, string name, ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
        RunAsync("write", Describe(kind, name), ct => _inner.WriteAsync(kind, name, data, ct), cancellationToken);

    /// <inheritdoc/>
    public IBlobUpload BeginUpload(BlobKind kind) => new Upload(this, kind, _inner.BeginUpload(kind));

    /// <inheritdoc/>
    public Task<int> RemoveLeftoversAsync(BlobKind kind, CancellationToken cancellationToken) =>
        RunAsync("remove leftovers", BlobNames.Folder(kind), ct => _inner.RemoveLeftoversAsync(kind, ct), cancellationToken);

    /// <inheritdoc/>
    public Task<byte[]> ReadAsync(BlobKind kind, string name, CancellationToken cancellationToken) =>
        RunAsync("read", Describe(kind, name), ct => _inner.ReadAsync(kind, name, ct), cancellationToken);

    /// <inheritdoc/>
    public Task<byte[]> ReadRangeAsync(BlobKind kind, string name, long offset, int length, CancellationToken cancellationToken) =>
        RunAsync("read range", Describe(kind, name), ct => _inner.ReadRangeAsync(kind, name, offset, length, ct), cancellationToken);

    /// <inheritdoc/>
    public Task ReadRangeAsync(BlobKind kind, string name, long offset, Memory<byte> destination, CancellationToken cancellationToken) =>
        RunAsync("read range", Describe(kind, name), ct => _inner.ReadRangeAsync(kind, name, offset, destination, ct), cancellationToken);

    /// <inheritdoc/>
    public Task<BlobInfo?> StatAsync(BlobKind kind, string name, CancellationToken cancellationToken) =>
        RunAsync("stat", Describe(kind, name), ct => _inner.StatAsync(kind, name, ct), cancellationToken);

    /// <inheritdoc/>
    /// <remarks>Retried until the first item is yielded (or the listing ends empty); a failure after that is thrown as it is.</remarks>
    public async IAsyncEnumerable<(string Name, long Size)> ListAsync(BlobKind kind, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        IAsyncEnumerator<(string Name, long Size)>? listing = null;
        try
        {
            var more = await RunAsync("list", BlobNames.Folder(kind), async ct =>
            {
                if (listing is not null)
                {
                    await listing.DisposeAsync();
                }
                listing = _inner.ListAsync(kind, ct).GetAsyncEnumerator(ct);
                return await listing.MoveNextAsync();
            }, cancellationToken);
            while (more)
            {
                yield return listing!.Current;
                more = await listing.MoveNextAsync();
            }
        }
        finally
        {
            if (listing is not null)
            {
                await listing.DisposeAsync();
            }
        }
    }

    /// <inheritdoc/>
    public Task DeleteAsync(BlobKind kind, string name, CancellationToken cancellationToken) =>
        RunAsync("delete", Describe(kind, name), ct => _inner.DeleteAsync(kind, name, ct), cancellationToken);

    /// <inheritdoc/>
    public void Dispose() => _inner.Dispose();

    private static string Describe(BlobKind kind, string name) => BlobNames.IsValid(kind, name) ? BlobNames.RelativePath(kind, name) : name;

    private async Task RunAsync(string operation, string? name, Func<CancellationToken, Task> call, CancellationToken cancellationToken) =>
        await RunAsync(operation, name, async ct =>
        {
            await call(ct);
            return true;
        }, cancellationToken);

    private async Task<T> RunAsync<T>(string operation, string? name, Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(s_operation, operation);
        context.Properties.Set(s_name, name ?? "");
        try
        {
            return await _pipeline.ExecuteAsync(static async (ctx, call) => await call(ctx.CancellationToken), context, call);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    private ValueTask LogRetry(OnRetryArguments<object> args)
    {
        _logger.LogWarning(args.Outcome.Exception,
            "{Location}: {Operation} {Name} failed ({Error}); attempt {Attempt} of {MaxAttempts}, retrying in {Delay}",
            _inner.Location,
            args.Context.Properties.GetValue(s_operation, "call"),
            args.Context.Properties.GetValue(s_name, ""),
            args.Outcome.Exception?.Message,
            args.AttemptNumber + 1,
            _maxAttempts,
            args.RetryDelay);
        return ValueTask.CompletedTask;
    }

    /// <summary>An inner upload whose appends are passed through and whose commit is retried.</summary>
    private sealed class Upload(RetryingBlobStore store, BlobKind kind, IBlobUpload inner) : IBlobUpload
    {
        public long Length => inner.Length;

        public void Append(ReadOnlySpan<byte> data) => inner.Append(data);

        public Task CommitAsync(string name, CancellationToken cancellationToken) =>
            store.RunAsync("commit", Describe(kind, name), ct => inner.CommitAsync(name, ct), cancellationToken);

        public void Dispose() => inner.Dispose();
    }
}
