#!/usr/bin/env python3
"""Who holds the arrays of a heap dump: groups every array (object and primitive) by the class and field of the
object that references it, with counts and shallow bytes. Used to explain the heap per idle push connection:

    jcmd <pid> GC.heap_dump /tmp/n.hprof     # live objects only (a full GC first)
    python3 bench/push/hprof-owners.py /tmp/n.hprof [divide-by-N] [top]

Standard library only; reads the whole dump into memory (fine for dumps of a few hundred MB).
"""
import struct
import sys
from collections import defaultdict

TYPE_SIZE = {4: 1, 5: 2, 6: 4, 7: 8, 8: 1, 9: 2, 10: 4, 11: 8}
PRIM_NAME = {4: 'boolean[]', 5: 'char[]', 6: 'float[]', 7: 'double[]', 8: 'byte[]', 9: 'short[]', 10: 'int[]',
             11: 'long[]'}


def main():
    path = sys.argv[1]
    divide = float(sys.argv[2]) if len(sys.argv) > 2 else 1.0
    top = int(sys.argv[3]) if len(sys.argv) > 3 else 30
    data = open(path, 'rb').read()
    end = data.index(b'\0')
    idsize = struct.unpack_from('>I', data, end + 1)[0]
    idfmt = '>I' if idsize == 4 else '>Q'
    ptr = end + 1 + 4 + 8
    strings = {}
    class_name = {}     # class object id -> name
    class_super = {}
    class_fields = {}   # class id -> [(name, type)]
    instances = []      # (offset of field bytes, class id)
    arrays = {}         # array id -> (kind, length, shallow bytes)
    objarrays = []      # (array id, offset of elements, n)

    def rid(off):
        return struct.unpack_from(idfmt, data, off)[0]

    n = len(data)
    while ptr < n:
        tag = data[ptr]
        length = struct.unpack_from('>I', data, ptr + 5)[0]
        body = ptr + 9
        ptr = body + length
        if tag == 0x01:
            strings[rid(body)] = data[body + idsize:body + length].decode('utf-8', 'replace')
        elif tag == 0x02:
            class_name[rid(body + 4)] = rid(body + 8 + idsize)
        elif tag in (0x0C, 0x1C):
            p = body
            stop = body + length
            while p < stop:
                sub = data[p]
                p += 1
                if sub == 0xFF or sub == 0x05 or sub == 0x07:
                    p += idsize
                elif sub == 0x01:
                    p += 2 * idsize
                elif sub in (0x02, 0x03, 0x08):
                    p += idsize + 8
                elif sub in (0x04, 0x06):
                    p += idsize + 4
                elif sub == 0x20:
                    cid = rid(p)
                    class_super[cid] = rid(p + 4 + idsize)
                    p += 4 + 7 * idsize + 4
                    cp = struct.unpack_from('>H', data, p)[0]
                    p += 2
                    for _ in range(cp):
                        t = data[p + 2]
                        p += 3 + (idsize if t == 2 else TYPE_SIZE[t])
                    st = struct.unpack_from('>H', data, p)[0]
                    p += 2
                    for _ in range(st):
                        t = data[p + idsize]
                        p += idsize + 1 + (idsize if t == 2 else TYPE_SIZE[t])
                    nf = struct.unpack_from('>H', data, p)[0]
                    p += 2
                    fields = []
                    for _ in range(nf):
                        fields.append((rid(p), data[p + idsize]))
                        p += idsize + 1
                    class_fields[cid] = fields
                elif sub == 0x21:
                    cid = rid(p + idsize + 4)
                    nb = struct.unpack_from('>I', data, p + 2 * idsize + 4)[0]
                    instances.append((p + 2 * idsize + 8, cid))
                    p += 2 * idsize + 8 + nb
                elif sub == 0x22:
                    aid = rid(p)
                    cnt = struct.unpack_from('>I', data, p + idsize + 4)[0]
                    acid = rid(p + idsize + 8)
                    arrays[aid] = (('O', acid), cnt, 16 + cnt * 4)  # compressed oops
                    objarrays.append((aid, p + 2 * idsize + 8, cnt))
                    p += 2 * idsize + 8 + cnt * idsize
                elif sub == 0x23:
                    aid = rid(p)
                    cnt = struct.unpack_from('>I', data, p + idsize + 4)[0]
                    t = data[p + idsize + 8]
                    arrays[aid] = (('P', t), cnt, 16 + ((cnt * TYPE_SIZE[t] + 7) // 8) * 8)
                    p += idsize + 9 + cnt * TYPE_SIZE[t]
                else:
                    raise SystemExit('unknown heap sub-record 0x%02x at %d' % (sub, p - 1))

    def cname(cid):
        s = class_name.get(cid)
        return strings.get(s, '?%x' % cid) if s is not None else '?%x' % cid

    def kind_name(kind):
        if kind[0] == 'P':
            return PRIM_NAME[kind[1]]
        return cname(kind[1]).replace('[L', '').replace(';', '') + '[]'

    layout_cache = {}

    def layout(cid):
        if cid in layout_cache:
            return layout_cache[cid]
        out = []
        c = cid
        while c and c in class_fields:
            for name_id, t in class_fields[c]:
                out.append((cname(c).split('.')[-1] + '.' + strings.get(name_id, '?'), t))
            c = class_super.get(c)
        layout_cache[cid] = out
        return out

    groups = defaultdict(lambda: [0, 0])
    owned = set()
    for off, cid in instances:
        p = off
        owner = None
        for fname, t in layout(cid):
            if t == 2:
                ref = rid(p)
                a = arrays.get(ref)
                if a is not None and ref not in owned:
                    owned.add(ref)
                    key = (fname, kind_name(a[0]), a[1])
                    groups[key][0] += 1
                    groups[key][1] += a[2]
                p += idsize
            else:
                p += TYPE_SIZE[t]
    for aid, off, cnt in objarrays:
        for i in range(cnt):
            ref = rid(off + i * idsize)
            a = arrays.get(ref)
            if a is not None and ref not in owned:
                owned.add(ref)
                key = ('element of ' + kind_name(arrays[aid][0]), kind_name(a[0]), a[1])
                groups[key][0] += 1
                groups[key][1] += a[2]
    rows = sorted(groups.items(), key=lambda kv: -kv[1][1])
    total = sum(v[1] for v in groups.values())
    print('arrays held by a field (first referrer wins); per %g; total %.0f bytes' % (divide, total / divide))
    print('%10s %8s  %-60s %-30s %s' % ('bytes', 'count', 'held by (class.field)', 'array', 'length'))
    for (fname, kind, ln), (cnt, by) in rows[:top]:
        print('%10.0f %8.2f  %-60s %-30s %d' % (by / divide, cnt / divide, fname[:60], kind[:30], ln))


if __name__ == '__main__':
    main()
