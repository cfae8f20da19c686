package media

import (
	"encoding/binary"
	"testing"
)

// tiffEntry is one IFD entry for exifTIFF: a SHORT or LONG value, or a pointer to the GPS IFD.
type tiffEntry struct {
	tag, typ uint16
	value    uint32
}

// exifTIFF builds EXIF data (a TIFF structure) in the given byte order: IFD0 with entries,
// and, when gps is set, a GPS IFD pointed to by tag 0x8825 holding a latitude (N 48°51'29")
// and a longitude: the location a phone writes into each photo.
func exifTIFF(order binary.ByteOrder, entries []tiffEntry, gps bool) []byte {
	b := make([]byte, 8)
	if order == binary.LittleEndian {
		copy(b, "II")
	} else {
		copy(b, "MM")
	}
	order.PutUint16(b[2:], 42)
	order.PutUint32(b[4:], 8)
	if gps {
		entries = append(entries, tiffEntry{tag: 0x8825, typ: 4})
	}
	ifd0End := 8 + 2 + 12*len(entries) + 4
	ifd := make([]byte, 2, ifd0End-8)
	order.PutUint16(ifd, uint16(len(entries)))
	for _, e := range entries {
		var ent [12]byte
		order.PutUint16(ent[0:], e.tag)
		order.PutUint16(ent[2:], e.typ)
		order.PutUint32(ent[4:], 1)
		switch {
		case e.tag == 0x8825:
			order.PutUint32(ent[8:], uint32(ifd0End))
		case e.typ == 3:
			order.PutUint16(ent[8:], uint16(e.value))
		default:
			order.PutUint32(ent[8:], e.value)
		}
		ifd = append(ifd, ent[:]...)
	}
	ifd = append(ifd, 0, 0, 0, 0) // no IFD1
	b = append(b, ifd...)
	if gps {
		// GPS IFD: GPSLatitudeRef "N", GPSLatitude (3 RATIONALs after the IFD), GPSLongitudeRef "E".
		gpsIFD := make([]byte, 2+3*12+4)
		order.PutUint16(gpsIFD, 3)
		ent := gpsIFD[2:]
		order.PutUint16(ent[0:], 1)
		order.PutUint16(ent[2:], 2)
		order.PutUint32(ent[4:], 2)
		copy(ent[8:], "N\x00")
		ent = ent[12:]
		order.PutUint16(ent[0:], 2)
		order.PutUint16(ent[2:], 5)
		order.PutUint32(ent[4:], 3)
		order.PutUint32(ent[8:], uint32(len(b)+len(gpsIFD)))
		ent = ent[12:]
		order.PutUint16(ent[0:], 3)
		order.PutUint16(ent[2:], 2)
		order.PutUint32(ent[4:], 2)
		copy(ent[8:], "E\x00")
		b = append(b, gpsIFD...)
		for _, v := range []uint32{48, 1, 51, 1, 29, 1} {
			b = order.(binary.AppendByteOrder).AppendUint32(b, v)
		}
	}
	return b
}

func TestExifOrientation_ReadsBothByteOrders(t *testing.T) {
	t.Parallel()
	for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		for _, tc := range []struct {
			name    string
			entries []tiffEntry
			want    int
		}{
			{"short", []tiffEntry{{0x010F, 4, 7}, {tagOrientation, 3, 6}}, 6},
			{"long", []tiffEntry{{tagOrientation, 4, 8}}, 8},
			{"absent", []tiffEntry{{0x010F, 4, 7}}, 1},
			{"out of range", []tiffEntry{{tagOrientation, 3, 9}}, 1},
			{"zero", []tiffEntry{{tagOrientation, 3, 0}}, 1},
		} {
			got, err := exifOrientation(exifTIFF(order, tc.entries, true))
			if err != nil || got != tc.want {
				t.Errorf("%v %s: got %d, %v; want %d", order, tc.name, got, err, tc.want)
			}
		}
	}
}

func TestExifOrientation_RefusesMalformedData(t *testing.T) {
	t.Parallel()
	good := exifTIFF(binary.BigEndian, []tiffEntry{{tagOrientation, 3, 6}}, false)
	for name, b := range map[string][]byte{
		"empty":             nil,
		"short header":      good[:6],
		"unknown order":     append([]byte("XX"), good[2:]...),
		"not 42":            append([]byte("MM\x00\x2B"), good[4:]...),
		"IFD past the end":  append([]byte("MM\x00\x2A\x00\x00\xFF\xFF"), good[8:]...),
		"IFD in the header": append([]byte("MM\x00\x2A\x00\x00\x00\x02"), good[8:]...),
		"entries cut":       good[:8+2+6],
		"orientation ascii": exifTIFF(binary.BigEndian, []tiffEntry{{tagOrientation, 2, 6}}, false),
	} {
		if o, err := exifOrientation(b); err == nil {
			t.Errorf("%s: got orientation %d and no error", name, o)
		}
	}
}

// FuzzExifOrientation: no EXIF data, however crafted, makes the reader panic or read out
// of bounds; what it returns is 1-8 or an error.
func FuzzExifOrientation(f *testing.F) {
	f.Add(exifTIFF(binary.BigEndian, []tiffEntry{{tagOrientation, 3, 6}}, true))
	f.Add(exifTIFF(binary.LittleEndian, []tiffEntry{{0x010F, 4, 7}, {tagOrientation, 4, 3}}, false))
	f.Add([]byte("II\x2A\x00\x08\x00\x00\x00\xFF\xFF"))
	f.Fuzz(func(t *testing.T, b []byte) {
		o, err := exifOrientation(b)
		if err == nil && (o < 1 || o > 8) {
			t.Fatalf("orientation %d", o)
		}
	})
}
