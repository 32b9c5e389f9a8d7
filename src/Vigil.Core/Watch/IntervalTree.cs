using Google.Protobuf;
using Vigil.Core.Mvcc;

namespace Vigil.Core.Watch;

/// <summary>
/// Receives the values a query finds. A struct (or ref struct) visitor passed by reference
/// lets the notify path collect matches into whatever it needs without allocating per call.
/// </summary>
internal interface IIntervalVisitor<in TValue>
{
    void Visit(TValue value);
}

/// <summary>
/// Values keyed by byte-string intervals [start, end), where end may be unbounded. The watch
/// engine asks it which range and prefix watchers contain an event key; single-key watchers
/// live in a dictionary beside it.
/// </summary>
/// <remarks>
/// An AVL tree ordered by (start, end), each node augmented with the greatest end in its
/// subtree, so a query skips subtrees that end at or before the key and stops at starts after
/// it: O(log n) when nothing matches, O((1 + m) log n) at worst for m matching intervals, and
/// no scan of all intervals. One node holds every value of one distinct interval (many
/// watchers on one prefix share a node), so duplicates do not deepen the tree; the values of
/// one interval are a multiset kept in insertion order. Keys compare bytewise
/// (<see cref="KeyRange.Compare"/>). Not thread-safe: the owner serializes access. Queries
/// allocate nothing beyond what the caller's list or visitor does; a visitor that mutates the
/// tree gets an <see cref="InvalidOperationException"/>.
/// </remarks>
internal sealed class IntervalTree<TValue>
{
    private const int InitialValueCapacity = 2;

    private readonly IEqualityComparer<TValue> _comparer;
    private Node? _root;

    // Bumped by every mutation, so a query notices a visitor that changed the tree under it.
    private int _version;

    public IntervalTree(IEqualityComparer<TValue>? comparer = null)
    {
        _comparer = comparer ?? EqualityComparer<TValue>.Default;
    }

    /// <summary>Number of values over all intervals.</summary>
    public int Count { get; private set; }

    /// <summary>Number of distinct intervals (tree nodes).</summary>
    public int IntervalCount { get; private set; }

    /// <summary>Height of the tree, 0 when empty.</summary>
    internal int Height => HeightOf(_root);

    /// <summary>
    /// Adds <paramref name="value"/> under <paramref name="range"/>. A value added twice to one
    /// range is stored twice; each <see cref="Remove"/> takes one copy out.
    /// </summary>
    /// <exception cref="ArgumentException">The range is a single key, empty or default.</exception>
    public void Add(KeyRange range, TValue value)
    {
        EnsureStorable(range);
        _root = Insert(_root, range.Key.Span, range.IsUnbounded ? null : range.End, value);
        Count++;
        _version++;
    }

    /// <summary>
    /// Removes one occurrence of <paramref name="value"/> from <paramref name="range"/>; the
    /// interval goes away with its last value. False when the pair is not present.
    /// </summary>
    /// <exception cref="ArgumentException">The range is a single key, empty or default.</exception>
    public bool Remove(KeyRange range, TValue value)
    {
        EnsureStorable(range);
        var removed = false;
        _root = Delete(_root, range.Key.Span, EndSpan(range), range.IsUnbounded, value, ref removed);
        if (removed)
        {
            Count--;
            _version++;
        }

        return removed;
    }

    public void Clear()
    {
        _root = null;
        Count = 0;
        IntervalCount = 0;
        _version++;
    }

    /// <summary>Appends to <paramref name="results"/> every value whose interval contains <paramref name="key"/>.</summary>
    public void Stab(ReadOnlySpan<byte> key, List<TValue> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        var collector = new ListCollector(results);
        StabNode(_root, key, ref collector, _version);
    }

    /// <summary>Calls <paramref name="visitor"/> for every value whose interval contains <paramref name="key"/>.</summary>
    public void Stab<TVisitor>(ReadOnlySpan<byte> key, ref TVisitor visitor)
        where TVisitor : IIntervalVisitor<TValue>, allows ref struct
    {
        StabNode(_root, key, ref visitor, _version);
    }

    /// <summary>True when some interval contains <paramref name="key"/>.</summary>
    public bool Covers(ReadOnlySpan<byte> key)
    {
        var node = _root;
        while (node is not null && !EndsAtOrBefore(node.MaxEnd, key))
        {
            // If a left interval ends after the key yet none contains it, that one starts after
            // the key, and so do this node and everything right of it: the left subtree decides.
            if (node.Left is not null && !EndsAtOrBefore(node.Left.MaxEnd, key))
            {
                node = node.Left;
                continue;
            }

            if (KeyRange.Compare(node.Start, key) > 0)
            {
                return false;
            }

            if (!EndsAtOrBefore(node.End, key))
            {
                return true;
            }

            node = node.Right;
        }

        return false;
    }

    /// <summary>
    /// True when some interval shares a key with <paramref name="range"/>. As in
    /// <see cref="KeyRange.Overlaps"/>, a single-key range is that key and an empty range
    /// overlaps nothing.
    /// </summary>
    /// <exception cref="ArgumentException">The range is default.</exception>
    public bool Intersects(KeyRange range)
    {
        EnsureInitialized(range);
        if (range.IsSingleKey)
        {
            return Covers(range.Key.Span);
        }

        if (range.IsEmpty)
        {
            return false;
        }

        var start = range.Key.Span;
        var end = EndSpan(range);
        var unbounded = range.IsUnbounded;

        // [s, e) and [start, end) overlap iff s < end and start < e; the left-subtree argument
        // is the one in Covers, with the query's start in place of the key.
        var node = _root;
        while (node is not null && !EndsAtOrBefore(node.MaxEnd, start))
        {
            if (node.Left is not null && !EndsAtOrBefore(node.Left.MaxEnd, start))
            {
                node = node.Left;
                continue;
            }

            if (!unbounded && KeyRange.Compare(node.Start, end) >= 0)
            {
                return false;
            }

            if (!EndsAtOrBefore(node.End, start))
            {
                return true;
            }

            node = node.Right;
        }

        return false;
    }

    /// <summary>
    /// Appends every value whose interval shares a key with <paramref name="range"/>; a
    /// single-key range is that key and an empty range overlaps nothing.
    /// </summary>
    /// <exception cref="ArgumentException">The range is default.</exception>
    public void Intersecting(KeyRange range, List<TValue> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        var collector = new ListCollector(results);
        Intersecting(range, ref collector);
    }

    /// <summary>Calls <paramref name="visitor"/> for every value whose interval shares a key with <paramref name="range"/>.</summary>
    /// <exception cref="ArgumentException">The range is default.</exception>
    public void Intersecting<TVisitor>(KeyRange range, ref TVisitor visitor)
        where TVisitor : IIntervalVisitor<TValue>, allows ref struct
    {
        EnsureInitialized(range);
        if (range.IsSingleKey)
        {
            StabNode(_root, range.Key.Span, ref visitor, _version);
        }
        else if (!range.IsEmpty)
        {
            IntersectingNode(_root, range.Key.Span, EndSpan(range), range.IsUnbounded, ref visitor, _version);
        }
    }

    /// <summary>
    /// Checks the invariants: valid intervals in strict (start, end) order, AVL balance and
    /// stored heights, max-end augmentation, no node without values, and both counts.
    /// Throws <see cref="InvalidOperationException"/> naming the first violation.
    /// </summary>
    internal void Validate()
    {
        Node? previous = null;
        var intervals = 0;
        var values = 0;
        ValidateNode(_root, ref previous, ref intervals, ref values, out _);
        if (intervals != IntervalCount)
        {
            throw new InvalidOperationException($"IntervalCount is {IntervalCount} but the tree holds {intervals} nodes.");
        }

        if (values != Count)
        {
            throw new InvalidOperationException($"Count is {Count} but the tree holds {values} values.");
        }
    }

    private static void EnsureInitialized(KeyRange range)
    {
        // default(KeyRange) carries null strings; reject it here rather than fail deep inside.
        if (range.Key is null || range.End is null)
        {
            throw new ArgumentException("The range is not initialized.", nameof(range));
        }
    }

    private static void EnsureStorable(KeyRange range)
    {
        EnsureInitialized(range);
        if (range.IsSingleKey)
        {
            throw new ArgumentException($"Single-key range {range} belongs in a key map, not in the interval tree.", nameof(range));
        }

        if (range.IsEmpty)
        {
            throw new ArgumentException($"Range {range} is empty: its end is not after its start.", nameof(range));
        }
    }

    private static ReadOnlySpan<byte> EndSpan(KeyRange range) =>
        range.IsUnbounded ? ReadOnlySpan<byte>.Empty : range.End.Span;

    /// <summary>True when <paramref name="end"/> is bounded and at or before <paramref name="key"/>; null is +infinity.</summary>
    private static bool EndsAtOrBefore(byte[]? end, ReadOnlySpan<byte> key) =>
        end is not null && KeyRange.Compare(end, key) <= 0;

    /// <summary>Orders ends with null as +infinity.</summary>
    private static int CompareEnds(byte[]? a, byte[]? b)
    {
        if (a is null)
        {
            return b is null ? 0 : 1;
        }

        return b is null ? -1 : KeyRange.Compare(a, b);
    }

    private static byte[]? GreaterEnd(byte[]? a, byte[]? b) => CompareEnds(a, b) >= 0 ? a : b;

    /// <summary>Orders the interval (start, end) against a node's; <paramref name="unbounded"/> stands for an infinite end.</summary>
    private static int CompareToNode(ReadOnlySpan<byte> start, ReadOnlySpan<byte> end, bool unbounded, Node node)
    {
        var byStart = KeyRange.Compare(start, node.Start);
        if (byStart != 0)
        {
            return byStart;
        }

        if (unbounded)
        {
            return node.End is null ? 0 : 1;
        }

        return node.End is null ? -1 : KeyRange.Compare(end, node.End);
    }

    private void StabNode<TVisitor>(Node? node, ReadOnlySpan<byte> key, ref TVisitor visitor, int version)
        where TVisitor : IIntervalVisitor<TValue>, allows ref struct
    {
        // Recursion goes left only; the right spine is walked in the loop.
        while (node is not null && !EndsAtOrBefore(node.MaxEnd, key))
        {
            StabNode(node.Left, key, ref visitor, version);

            // In (start, end) order this node and its whole right subtree start after the key.
            if (KeyRange.Compare(node.Start, key) > 0)
            {
                return;
            }

            if (!EndsAtOrBefore(node.End, key))
            {
                VisitValues(node, ref visitor, version);
            }

            node = node.Right;
        }
    }

    private void IntersectingNode<TVisitor>(
        Node? node, ReadOnlySpan<byte> start, ReadOnlySpan<byte> end, bool unbounded, ref TVisitor visitor, int version)
        where TVisitor : IIntervalVisitor<TValue>, allows ref struct
    {
        while (node is not null && !EndsAtOrBefore(node.MaxEnd, start))
        {
            IntersectingNode(node.Left, start, end, unbounded, ref visitor, version);
            if (!unbounded && KeyRange.Compare(node.Start, end) >= 0)
            {
                return;
            }

            if (!EndsAtOrBefore(node.End, start))
            {
                VisitValues(node, ref visitor, version);
            }

            node = node.Right;
        }
    }

    private void VisitValues<TVisitor>(Node node, ref TVisitor visitor, int version)
        where TVisitor : IIntervalVisitor<TValue>, allows ref struct
    {
        var values = node.Values;
        var count = node.ValueCount;
        for (var i = 0; i < count; i++)
        {
            visitor.Visit(values[i]);
            if (version != _version)
            {
                throw new InvalidOperationException("The interval tree was modified during a query.");
            }
        }
    }

    private Node Insert(Node? node, ReadOnlySpan<byte> start, ByteString? end, TValue value)
    {
        if (node is null)
        {
            IntervalCount++;
            return new Node(start.ToArray(), end?.ToByteArray(), value);
        }

        var order = CompareToNode(start, end is null ? ReadOnlySpan<byte>.Empty : end.Span, end is null, node);
        if (order == 0)
        {
            // Same interval: one more value, no change in shape or ends.
            node.AddValue(value);
            return node;
        }

        if (order < 0)
        {
            node.Left = Insert(node.Left, start, end, value);
        }
        else
        {
            node.Right = Insert(node.Right, start, end, value);
        }

        return Rebalance(node);
    }

    private Node? Delete(Node? node, ReadOnlySpan<byte> start, ReadOnlySpan<byte> end, bool unbounded, TValue value, ref bool removed)
    {
        if (node is null)
        {
            return null;
        }

        var order = CompareToNode(start, end, unbounded, node);
        if (order < 0)
        {
            node.Left = Delete(node.Left, start, end, unbounded, value, ref removed);
        }
        else if (order > 0)
        {
            node.Right = Delete(node.Right, start, end, unbounded, value, ref removed);
        }
        else
        {
            removed = node.RemoveValue(value, _comparer);
            if (!removed || node.ValueCount > 0)
            {
                return node;
            }

            IntervalCount--;
            if (node.Left is null)
            {
                return node.Right;
            }

            if (node.Right is null)
            {
                return node.Left;
            }

            // Two children: the in-order successor's interval and values move into this node,
            // which keeps the order, and the successor's node leaves the right subtree.
            node.Right = DetachMin(node.Right, out var successor);
            node.TakeContentOf(successor);
        }

        return removed ? Rebalance(node) : node;
    }

    private static Node? DetachMin(Node node, out Node min)
    {
        if (node.Left is null)
        {
            min = node;
            return node.Right;
        }

        node.Left = DetachMin(node.Left, out min);
        return Rebalance(node);
    }

    private static int HeightOf(Node? node) => node?.Height ?? 0;

    /// <summary>Restores the AVL balance at <paramref name="node"/>, whose children are balanced and up to date.</summary>
    private static Node Rebalance(Node node)
    {
        var balance = HeightOf(node.Left) - HeightOf(node.Right);
        if (balance > 1)
        {
            var left = node.Left!;
            if (HeightOf(left.Left) < HeightOf(left.Right))
            {
                node.Left = RotateLeft(left);
            }

            return RotateRight(node);
        }

        if (balance < -1)
        {
            var right = node.Right!;
            if (HeightOf(right.Right) < HeightOf(right.Left))
            {
                node.Right = RotateRight(right);
            }

            return RotateLeft(node);
        }

        node.Update();
        return node;
    }

    private static Node RotateLeft(Node node)
    {
        var pivot = node.Right!;
        node.Right = pivot.Left;
        pivot.Left = node;
        node.Update();
        pivot.Update();
        return pivot;
    }

    private static Node RotateRight(Node node)
    {
        var pivot = node.Left!;
        node.Left = pivot.Right;
        pivot.Right = node;
        node.Update();
        pivot.Update();
        return pivot;
    }

    /// <summary>Validates the subtree in order; returns its height and, in <paramref name="maxEnd"/>, its greatest end.</summary>
    private static int ValidateNode(Node? node, ref Node? previous, ref int intervals, ref int values, out byte[]? maxEnd)
    {
        maxEnd = null;
        if (node is null)
        {
            return 0;
        }

        var leftHeight = ValidateNode(node.Left, ref previous, ref intervals, ref values, out var leftMax);

        if (node.End is not null && KeyRange.Compare(node.Start, node.End) >= 0)
        {
            throw new InvalidOperationException($"Node {node} is an empty interval.");
        }

        if (previous is not null)
        {
            var byStart = KeyRange.Compare(previous.Start, node.Start);
            if (byStart > 0 || (byStart == 0 && CompareEnds(previous.End, node.End) >= 0))
            {
                throw new InvalidOperationException($"Node {node} follows {previous}: out of (start, end) order or duplicated.");
            }
        }

        if (node.ValueCount == 0)
        {
            throw new InvalidOperationException($"Node {node} holds no values.");
        }

        previous = node;
        intervals++;
        values += node.ValueCount;

        var rightHeight = ValidateNode(node.Right, ref previous, ref intervals, ref values, out var rightMax);

        if (Math.Abs(leftHeight - rightHeight) > 1)
        {
            throw new InvalidOperationException($"Node {node} is unbalanced: left height {leftHeight}, right height {rightHeight}.");
        }

        var height = Math.Max(leftHeight, rightHeight) + 1;
        if (node.Height != height)
        {
            throw new InvalidOperationException($"Node {node} stores height {node.Height}, actual {height}.");
        }

        // A missing child has no ends at all, which is not the same as an unbounded one.
        maxEnd = node.End;
        if (node.Left is not null)
        {
            maxEnd = GreaterEnd(maxEnd, leftMax);
        }

        if (node.Right is not null)
        {
            maxEnd = GreaterEnd(maxEnd, rightMax);
        }

        if (CompareEnds(node.MaxEnd, maxEnd) != 0)
        {
            throw new InvalidOperationException($"Node {node} stores max end {Hex(node.MaxEnd)}, actual {Hex(maxEnd)}.");
        }

        return height;
    }

    private static string Hex(byte[]? end) => end is null ? "+inf" : Convert.ToHexString(end);

    private readonly struct ListCollector(List<TValue> results) : IIntervalVisitor<TValue>
    {
        public void Visit(TValue value) => results.Add(value);
    }

    private sealed class Node
    {
        public Node(byte[] start, byte[]? end, TValue value)
        {
            Start = start;
            End = end;
            MaxEnd = end;
            Height = 1;
            Values = new TValue[InitialValueCapacity];
            Values[0] = value;
            ValueCount = 1;
        }

        public byte[] Start { get; private set; }

        /// <summary>Exclusive end; null when the interval is unbounded.</summary>
        public byte[]? End { get; private set; }

        /// <summary>Greatest end in this subtree; null when an interval in it is unbounded.</summary>
        public byte[]? MaxEnd { get; private set; }

        public int Height { get; private set; }

        public Node? Left { get; set; }

        public Node? Right { get; set; }

        /// <summary>The first <see cref="ValueCount"/> slots hold this interval's values in insertion order.</summary>
        public TValue[] Values { get; private set; }

        public int ValueCount { get; private set; }

        public void AddValue(TValue value)
        {
            if (ValueCount == Values.Length)
            {
                var grown = new TValue[Values.Length * 2];
                Array.Copy(Values, grown, ValueCount);
                Values = grown;
            }

            Values[ValueCount++] = value;
        }

        public bool RemoveValue(TValue value, IEqualityComparer<TValue> comparer)
        {
            for (var i = 0; i < ValueCount; i++)
            {
                if (comparer.Equals(Values[i], value))
                {
                    // Shift rather than swap to keep insertion order; the search is linear anyway.
                    ValueCount--;
                    Array.Copy(Values, i + 1, Values, i, ValueCount - i);
                    Values[ValueCount] = default!;
                    return true;
                }
            }

            return false;
        }

        public void TakeContentOf(Node other)
        {
            Start = other.Start;
            End = other.End;
            Values = other.Values;
            ValueCount = other.ValueCount;
        }

        /// <summary>Recomputes height and max end from the children, which must be up to date.</summary>
        public void Update()
        {
            Height = Math.Max(HeightOf(Left), HeightOf(Right)) + 1;
            var max = End;
            if (Left is not null)
            {
                max = GreaterEnd(max, Left.MaxEnd);
            }

            if (Right is not null)
            {
                max = GreaterEnd(max, Right.MaxEnd);
            }

            MaxEnd = max;
        }

        public override string ToString() => $"[{Convert.ToHexString(Start)}, {Hex(End)})";
    }
}
