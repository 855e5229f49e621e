package geo

// radix is nginx's ngx_radix_tree_t: a binary trie keyed by address bits
// from the most significant, where a node may hold a value. Find returns
// the value of the deepest node with one on the key's path: the longest
// matching prefix.
type radix struct {
	root *node
}

type node struct {
	child [2]*node
	val   *string // nil is NGX_RADIX_NO_VALUE
}

func bit(key []byte, i int) int { return int(key[i/8]>>(7-i%8)) & 1 }

// insert sets the value of the prefix key/bits. It reports false, and
// changes nothing, when the prefix already has a value (NGX_BUSY).
func (t *radix) insert(key []byte, bits int, val *string) bool {
	if t.root == nil {
		t.root = &node{}
	}
	n := t.root
	for i := range bits {
		b := bit(key, i)
		if n.child[b] == nil {
			n.child[b] = &node{}
		}
		n = n.child[b]
	}
	if n.val != nil {
		return false
	}
	n.val = val
	return true
}

// lookupExact returns the value stored for exactly key/bits.
func (t *radix) lookupExact(key []byte, bits int) *string {
	n := t.root
	for i := 0; n != nil && i < bits; i++ {
		n = n.child[bit(key, i)]
	}
	if n == nil {
		return nil
	}
	return n.val
}

// delete removes the value of key/bits and prunes nodes left with neither
// a value nor children, as ngx_radix32tree_delete does. It reports false
// when there was no such value.
func (t *radix) delete(key []byte, bits int) bool {
	path := make([]*node, 0, bits+1)
	n := t.root
	for i := 0; n != nil && i < bits; i++ {
		path = append(path, n)
		n = n.child[bit(key, i)]
	}
	if n == nil || n.val == nil {
		return false
	}
	n.val = nil
	// Prune upwards while the node is empty.
	for i := len(path) - 1; i >= 0 && n.val == nil && n.child[0] == nil && n.child[1] == nil; i-- {
		path[i].child[bit(key, i)] = nil
		n = path[i]
	}
	return true
}

// find returns the value of the longest prefix of key that has one.
func (t *radix) find(key []byte) *string {
	var found *string
	n := t.root
	for i := 0; n != nil; i++ {
		if n.val != nil {
			found = n.val
		}
		if i == len(key)*8 {
			break
		}
		n = n.child[bit(key, i)]
	}
	return found
}
