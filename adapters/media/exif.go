package media

import (
	"encoding/binary"
	"errors"
)

// tagOrientation is the TIFF tag of the EXIF orientation (1 to 8, as in the TIFF 6.0
// specification): how the stored pixels must be turned or mirrored to be shown upright.
const tagOrientation = 0x0112

// maxIFDEntries bounds the entries read from one IFD; real files have a few dozen.
const maxIFDEntries = 1024

// exifOrientation reads the orientation from EXIF data (a TIFF structure: byte order, 42,
// the offset of IFD0). It returns 1 when the tag is absent or holds a value outside 1-8, and
// an error when the structure is malformed; every offset is checked against len(b).
func exifOrientation(b []byte) (int, error) {
	if len(b) < 8 {
		return 0, errors.New("exif: too short for a TIFF header")
	}
	var order binary.ByteOrder
	switch string(b[0:2]) {
	case "II":
		order = binary.LittleEndian
	case "MM":
		order = binary.BigEndian
	default:
		return 0, errors.New("exif: unknown byte order")
	}
	if order.Uint16(b[2:4]) != 42 {
		return 0, errors.New("exif: not a TIFF header")
	}
	ifd := uint64(order.Uint32(b[4:8]))
	if ifd < 8 || ifd+2 > uint64(len(b)) {
		return 0, errors.New("exif: IFD0 lies outside the data")
	}
	n := uint64(order.Uint16(b[ifd : ifd+2]))
	if n > maxIFDEntries || ifd+2+n*12 > uint64(len(b)) {
		return 0, errors.New("exif: IFD0 runs past the data")
	}
	for i := range n {
		e := b[ifd+2+i*12 : ifd+2+i*12+12]
		if order.Uint16(e[0:2]) != tagOrientation {
			continue
		}
		// A SHORT (type 3) with a count of 1 sits in the first two bytes of the value field;
		// some writers use LONG (type 4).
		var v uint32
		switch typ, count := order.Uint16(e[2:4]), order.Uint32(e[4:8]); {
		case typ == 3 && count >= 1:
			v = uint32(order.Uint16(e[8:10]))
		case typ == 4 && count >= 1:
			v = order.Uint32(e[8:12])
		default:
			return 0, errors.New("exif: the orientation is not a number")
		}
		if v < 1 || v > 8 {
			return 1, nil
		}
		return int(v), nil
	}
	return 1, nil
}
