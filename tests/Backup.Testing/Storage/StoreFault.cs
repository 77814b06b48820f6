using Backup.Core.Storage;

namespace Backup.Testing.Storage;

/// <summary>
/// Which calls <see cref="FaultyBlobStore"/> fails, and how. The fault counts the calls it matches (its
/// <see cref="Operation"/>, and its <see cref="Kind"/> when given) from the moment it is added, and fails the
/// <see cref="Count"/> calls from the <see cref="From"/>th on: <c>From = 3, Count = 1</c> is "the 3rd pack commit",
/// the defaults are "every one", <c>Count = 2</c> is "the next 2".
/// </summary>
/// <param name="Operation">The call that fails.</param>
public sealed record StoreFault(StoreOperation Operation)
{
    /// <summary>Only calls for this kind of file; null for every kind.</summary>
    public BlobKind? Kind { get; init; }

    /// <summary>Only calls for the file of this name (of a kind's folder); null for every name. A listing has no name.</summary>
    public string? Name { get; init; }

    /// <summary>The first matching call (1-based) that fails.</summary>
    public int From { get; init; } = 1;

    /// <summary>How many matching calls fail, from <see cref="From"/> on.</summary>
    public int Count { get; init; } = int.MaxValue;

    /// <summary>Makes what is thrown; null for a <see cref="TransientStoreException"/> naming the call.</summary>
    public Func<Exception>? Exception { get; init; }

    /// <summary>
    /// True to throw after the store's own call succeeded: the write landed but the reply was lost. A failed list
    /// then yields every item before it throws.
    /// </summary>
    public bool AfterCall { get; init; }
}
