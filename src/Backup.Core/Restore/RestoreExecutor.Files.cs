using System.Collections.Concurrent;
using Microsoft.Win32.SafeHandles;

namespace Backup.Core.Restore;

/// <summary>The files of a restore, written piece by piece in whatever order the source reads them.</summary>
public sealed partial class RestoreExecutor
{
    /// <summary>
    /// The <see cref="IContentSink"/> of one restore: a file is created on its first piece and stays open until the
    /// source completes it, then gets its length, owner, attributes, mode and time and is closed, so only files whose
    /// content is still arriving hold a descriptor, at most about <see cref="MaxOpen"/> of them. A file that fails is
    /// kept open until <see cref="DiscardFailed"/> (no piece can be in flight then) and removed. Thread-safe.
    /// </summary>
    private sealed class FileWriter(
        RestoreExecutor executor, RestoreTarget destination, IReadOnlyList<RestoreEntry> files, ConcurrentDictionary<string, RestoreFailure> failures)
        : IContentSink, IDisposable
    {
        /// <summary>
        /// Files held open at once, beyond which a file gives back its descriptor between pieces: 256, far under the
        /// descriptor limit, and more than a pack-ordered restore needs but for files whose chunks are spread over many packs.
        /// </summary>
        internal const int MaxOpen = 256;

        private static readonly Slot s_done = new();
        private int _open;

        private readonly Slot?[] _slots = new Slot?[files.Count];
        private readonly ConcurrentQueue<Slot> _failed = new();
        private long _bytes;

        /// <summary>The bytes of the files completed so far.</summary>
        public long Bytes => Interlocked.Read(ref _bytes);

        public void Write(int file, long offset, ReadOnlySpan<byte> data)
        {
            var slot = SlotOf(file);
            SafeFileHandle handle;
            lock (slot)
            {
                if (slot == s_done || slot.Failed)
                {
                    return;
                }
                handle = slot.Handle ??= Open(slot, file);
                slot.Writers++;
            }
            int written;
            try
            {
                written = RestoreExecutor.Write(handle, data, offset, destination.FullPath(files[file].Path));
            }
            finally
            {
                lock (slot)
                {
                    // Over the bound, a file whose next piece is not being written gives its descriptor back until then.
                    if (--slot.Writers == 0 && Volatile.Read(ref _open) > MaxOpen)
                    {
                        Close(slot);
                    }
                }
            }
            executor._options.Progress?.AddBytes(data.Length);
            if (written > 0)
            {
                var end = offset + written;
                long seen;
                while ((seen = Interlocked.Read(ref slot.DataEnd)) < end && Interlocked.CompareExchange(ref slot.DataEnd, end, seen) != seen)
                {
                }
            }
        }

        public void Complete(int file, long size)
        {
            var slot = SlotOf(file);
            SafeFileHandle handle;
            lock (slot)
            {
                if (slot == s_done || slot.Failed)
                {
                    return;
                }
                handle = slot.Handle ??= Open(slot, file);
            }
            var entry = files[file];
            executor.Finish(handle, entry, destination, destination.FullPath(entry.Path), size, Interlocked.Read(ref slot.DataEnd));
            Close(slot);
            Volatile.Write(ref _slots[file], s_done); // the slot is garbage now
            destination.Finish(entry.Path);
            Interlocked.Add(ref _bytes, size);
            executor._options.Progress?.CompleteItem();
        }

        public void Fail(int file, Exception error)
        {
            var slot = SlotOf(file);
            lock (slot)
            {
                if (slot == s_done || slot.Failed)
                {
                    return;
                }
                slot.Failed = true;
            }
            slot.File = file;
            _failed.Enqueue(slot);
            failures.TryAdd(files[file].Path, new RestoreFailure(files[file].Path, error.Message));
        }

        /// <summary>Closes and removes the files that failed; call it when the source has returned, so that no piece is in flight.</summary>
        public void DiscardFailed()
        {
            while (_failed.TryDequeue(out var slot))
            {
                Close(slot);
                destination.Discard(files[slot.File].Path);
            }
        }

        /// <summary>Closes what is still open (a restore that stopped early: its files are the target's to remove).</summary>
        public void Dispose()
        {
            foreach (var slot in _slots)
            {
                if (slot is not null)
                {
                    Close(slot);
                }
            }
        }

        private Slot SlotOf(int file)
        {
            var slot = Volatile.Read(ref _slots[file]);
            if (slot is not null)
            {
                return slot;
            }
            var made = new Slot();
            return Interlocked.CompareExchange(ref _slots[file], made, null) ?? made;
        }

        /// <summary>Creates the file, or opens again the one created before (<see cref="RestoreTarget.ReopenFile"/>); under the slot's lock.</summary>
        private SafeFileHandle Open(Slot slot, int file)
        {
            if (!slot.Created)
            {
                executor._options.Progress?.SetCurrent(files[file].Path);
            }
            var handle = slot.Created ? destination.ReopenFile(files[file].Path) : destination.CreateFile(files[file].Path);
            slot.Created = true;
            Interlocked.Increment(ref _open);
            return handle;
        }

        private void Close(Slot slot)
        {
            lock (slot)
            {
                if (slot.Handle is { } handle)
                {
                    slot.Handle = null;
                    handle.Dispose();
                    Interlocked.Decrement(ref _open);
                }
            }
        }

        private sealed class Slot
        {
            public SafeFileHandle? Handle;
            public bool Created;
            public int Writers;
            public long DataEnd;
            public volatile bool Failed;
            public int File;
        }
    }
}
