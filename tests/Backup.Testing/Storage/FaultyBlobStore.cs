using System.Runtime.CompilerServices;
using Backup.Core.Storage;

namespace Backup.Testing.Storage;

/// <summary>
/// A store that passes every call to another and fails the ones its <see cref="StoreFault"/>s choose (kopia's
/// <c>blobtesting.FaultyStorage</c> is the model): the 3rd pack commit, every index write, the next 2 reads, before
/// the call or after it landed. Counts the calls made of each operation, failed ones included, so that a test can
/// assert how many attempts were made. Creating, emptiness checks, leftovers and an upload's appends are passed
/// through, not counted. Thread-safe; disposing it disposes the inner store.
/// </summary>
public sealed class FaultyBlobStore : IBlobStore
{
    private readonly IBlobStore _inner;
    private readonly Lock _lock = new();
    private readonly List<Armed> _faults = [];
    private readonly Dictionary<(StoreOperation, BlobKind), int> _calls = [];

    /// <summary>Wraps <paramref name="inner"/>, with no faults yet.</summary>
    public FaultyBlobStore(IBlobStore inner)
    {
        ArgumentNullException.ThrowIfNull(inner);
        _inner = inner;
    }

    /// <inheritdoc/>
    public string Location => _inner.Location;

    /// <summary>Adds <paramref name="fault"/>, which counts matching calls from now on; returns this store.</summary>
    public FaultyBlobStore Fail(StoreFault fault)
    {
        ArgumentNullException.ThrowIfNull(fault);
        lock (_lock)
        {
            _faults.Add(new Armed(fault));
        }
        return this;
    }

    /// <summary>
    /// When set, the sizes <see cref="ListAsync"/> reports, from the kind and the true size: a listing that lies (the
    /// sizes a store lists are not authenticated).
    /// </summary>
    public Func<BlobKind, long, long>? ListedSizes { get; set; }

    /// <summary>Removes every fault: the store is healthy from now on. The call counts are kept.</summary>
    public void Heal()
    {
        lock (_lock)
        {
            _faults.Clear();
        }
    }

    /// <summary>How many calls of <paramref name="operation"/> were made (of <paramref name="kind"/>, or of every kind when null).</summary>
    public int Calls(StoreOperation operation, BlobKind? kind = null)
    {
        lock (_lock)
        {
            return _calls.Where(c => c.Key.Item1 == operation && (kind is null || c.Key.Item2 == kind)).Sum(c => c.Value);
        }
    }

    /// <inheritdoc/>
    public Task CreateAsync(CancellationToken cancellationToken) => _inner.CreateAsync(cancellationToken);

    /// <inheritdoc/>
    public Task<bool> IsEmptyAsync(CancellationToken cancellationToken) => _inner.IsEmptyAsync(cancellationToken);

    /// <inheritdoc/>
    public Task WriteAsync(BlobKind kind, string name, ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
        RunAsync(StoreOperation.Write, kind, name, () => _inner.WriteAsync(kind, name, data, cancellationToken));

    /// <inheritdoc/>
    public IBlobUpload BeginUpload(BlobKind kind) => new Upload(this, kind, _inner.BeginUpload(kind));

    /// <inheritdoc/>
    public Task<int> RemoveLeftoversAsync(BlobKind kind, CancellationToken cancellationToken) => _inner.RemoveLeftoversAsync(kind, cancellationToken);

    /// <inheritdoc/>
    public Task<byte[]> ReadAsync(BlobKind kind, string name, CancellationToken cancellationToken) =>
        RunAsync(StoreOperation.Read, kind, name, () => _inner.ReadAsync(kind, name, cancellationToken));

    /// <inheritdoc/>
    public Task<byte[]> ReadRangeAsync(BlobKind kind, string name, long offset, int length, CancellationToken cancellationToken) =>
        RunAsync(StoreOperation.ReadRange, kind, name, () => _inner.ReadRangeAsync(kind, name, offset, length, cancellationToken));

    /// <inheritdoc/>
    public Task ReadRangeAsync(BlobKind kind, string name, long offset, Memory<byte> destination, CancellationToken cancellationToken) =>
        RunAsync(StoreOperation.ReadRange, kind, name, () => _inner.ReadRangeAsync(kind, name, offset, destination, cancellationToken));

    /// <inheritdoc/>
    public Task<BlobInfo?> StatAsync(BlobKind kind, string name, CancellationToken cancellationToken) =>
        RunAsync(StoreOperation.Stat, kind, name, () => _inner.StatAsync(kind, name, cancellationToken));

    /// <inheritdoc/>
    public async IAsyncEnumerable<(string Name, long Size)> ListAsync(BlobKind kind, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var fault = Arm(StoreOperation.List, kind);
        if (fault is { AfterCall: false })
        {
            throw Make(fault, StoreOperation.List, kind, null);
        }
        await foreach (var item in _inner.ListAsync(kind, cancellationToken))
        {
            yield return ListedSizes is { } sizes ? (item.Name, sizes(kind, item.Size)) : item;
        }
        if (fault is not null)
        {
            throw Make(fault, StoreOperation.List, kind, null);
        }
    }

    /// <inheritdoc/>
    public Task DeleteAsync(BlobKind kind, string name, CancellationToken cancellationToken) =>
        RunAsync(StoreOperation.Delete, kind, name, () => _inner.DeleteAsync(kind, name, cancellationToken));

    /// <inheritdoc/>
    public void Dispose() => _inner.Dispose();

    private async Task RunAsync(StoreOperation operation, BlobKind kind, string name, Func<Task> call) =>
        await RunAsync(operation, kind, name, async () =>
        {
            await call();
            return true;
        });

    private async Task<T> RunAsync<T>(StoreOperation operation, BlobKind kind, string name, Func<Task<T>> call)
    {
        var fault = Arm(operation, kind, name);
        if (fault is { AfterCall: false })
        {
            throw Make(fault, operation, kind, name);
        }
        var result = await call();
        if (fault is not null)
        {
            throw Make(fault, operation, kind, name);
        }
        return result;
    }

    /// <summary>Counts a call and returns the first fault that fails it, or null.</summary>
    private StoreFault? Arm(StoreOperation operation, BlobKind kind, string? name = null)
    {
        lock (_lock)
        {
            _calls[(operation, kind)] = _calls.GetValueOrDefault((operation, kind)) + 1;
            StoreFault? firing = null;
            foreach (var armed in _faults.Where(a => a.Fault.Operation == operation && (a.Fault.Kind is null || a.Fault.Kind == kind) && (a.Fault.Name is null || a.Fault.Name == name)))
            {
                armed.Seen++;
                if (firing is null && armed.Seen >= armed.Fault.From && armed.Seen - armed.Fault.From < armed.Fault.Count)
                {
                    firing = armed.Fault;
                }
            }
            return firing;
        }
    }

    private Exception Make(StoreFault fault, StoreOperation operation, BlobKind kind, string? name) =>
        fault.Exception?.Invoke()
        ?? new TransientStoreException($"injected fault{(fault.AfterCall ? " after the call" : "")}: {operation} of {kind} {name} in {Location}");

    private sealed class Armed(StoreFault fault)
    {
        public StoreFault Fault { get; } = fault;

        public int Seen { get; set; }
    }

    /// <summary>An inner upload whose commit is counted and may fail.</summary>
    private sealed class Upload(FaultyBlobStore store, BlobKind kind, IBlobUpload inner) : IBlobUpload
    {
        public long Length => inner.Length;

        public void Append(ReadOnlySpan<byte> data) => inner.Append(data);

        public Task CommitAsync(string name, CancellationToken cancellationToken) =>
            store.RunAsync(StoreOperation.Commit, kind, name, () => inner.CommitAsync(name, cancellationToken));

        public void Dispose() => inner.Dispose();
    }
}
