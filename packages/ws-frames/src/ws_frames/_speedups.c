/*
 * Compiled speed-up of ws_frames.
 *
 * Each function here has a pure-Python twin, which is the reference: the
 * tests feed both the same arguments and expect the same results and the
 * same exceptions. decode_at() mirrors ws_frames.frames.py_decode_frame()
 * check for check, in the same order; decode_frame() and FrameDecoder, the
 * twins of py_decode_frame() and PyFrameDecoder, run it.
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#if defined(__SSE2__) || defined(_M_X64)
#include <emmintrin.h>
#define WS_FRAMES_SSE2 1
#endif

static void
xor_mask(const unsigned char *input, unsigned char *output, Py_ssize_t size,
         const unsigned char *mask)
{
    Py_ssize_t i = 0;
    unsigned char mask16[16];
    uint64_t mask8;

    for (int j = 0; j < 16; j++) {
        mask16[j] = mask[j & 3];
    }
    memcpy(&mask8, mask16, 8);

#ifdef WS_FRAMES_SSE2
    /* 64 bytes per iteration keeps several loads in flight. */
    __m128i mask128 = _mm_loadu_si128((const __m128i *)mask16);
    for (; i + 64 <= size; i += 64) {
        __m128i a = _mm_loadu_si128((const __m128i *)(input + i));
        __m128i b = _mm_loadu_si128((const __m128i *)(input + i + 16));
        __m128i c = _mm_loadu_si128((const __m128i *)(input + i + 32));
        __m128i d = _mm_loadu_si128((const __m128i *)(input + i + 48));
        _mm_storeu_si128((__m128i *)(output + i), _mm_xor_si128(a, mask128));
        _mm_storeu_si128((__m128i *)(output + i + 16), _mm_xor_si128(b, mask128));
        _mm_storeu_si128((__m128i *)(output + i + 32), _mm_xor_si128(c, mask128));
        _mm_storeu_si128((__m128i *)(output + i + 48), _mm_xor_si128(d, mask128));
    }
    for (; i + 16 <= size; i += 16) {
        __m128i a = _mm_loadu_si128((const __m128i *)(input + i));
        _mm_storeu_si128((__m128i *)(output + i), _mm_xor_si128(a, mask128));
    }
#endif

    /* memcpy compiles to plain unaligned loads and stores. */
    for (; i + 8 <= size; i += 8) {
        uint64_t word;
        memcpy(&word, input + i, 8);
        word ^= mask8;
        memcpy(output + i, &word, 8);
    }

    /* i is a multiple of 4 here, so the mask restarts at its first byte. */
    for (; i < size; i++) {
        output[i] = input[i] ^ mask[i & 3];
    }
}

/* Get the bytes of object, in order and side by side: a simple buffer.
   Objects whose buffer has gaps or another order, such as a memoryview
   with a step, are copied into a bytes object first; the buffer holds the
   copy until it's released. Others are read in place, without a copy. */
static int
get_contiguous_buffer(PyObject *object, Py_buffer *view)
{
    PyObject *copy;
    int result;

    if (PyObject_GetBuffer(object, view, PyBUF_SIMPLE) == 0) {
        return 0;
    }
    if (!PyErr_ExceptionMatches(PyExc_BufferError)) {
        return -1;
    }
    PyErr_Clear();
    copy = PyBytes_FromObject(object);
    if (copy == NULL) {
        return -1;
    }
    result = PyObject_GetBuffer(copy, view, PyBUF_SIMPLE);
    Py_DECREF(copy);
    return result;
}

PyDoc_STRVAR(apply_mask_doc,
"apply_mask(data, mask)\n"
"--\n"
"\n"
"Apply masking to the data of a WebSocket frame.\n"
"\n"
"Args:\n"
"    data: Data to mask; any object supporting the buffer protocol.\n"
"    mask: 4-bytes mask.\n"
"\n"
"Raises:\n"
"    ValueError: If ``mask`` doesn't contain 4 bytes.\n");

static PyObject *
apply_mask(PyObject *self, PyObject *const *args, Py_ssize_t nargs,
           PyObject *kwnames)
{
    static const char *const names[] = {"data", "mask"};
    PyObject *arguments[2] = {NULL, NULL};
    Py_buffer data, mask;
    PyObject *result = NULL;

    /* Positional arguments are the fast path; keywords are accepted too. */
    if (nargs > 2) {
        PyErr_Format(PyExc_TypeError,
                     "apply_mask() takes exactly 2 arguments (%zd given)", nargs);
        return NULL;
    }
    for (Py_ssize_t i = 0; i < nargs; i++) {
        arguments[i] = args[i];
    }
    if (kwnames != NULL) {
        for (Py_ssize_t k = 0; k < PyTuple_GET_SIZE(kwnames); k++) {
            PyObject *key = PyTuple_GET_ITEM(kwnames, k);
            int found = 0;
            for (int i = 0; i < 2; i++) {
                if (PyUnicode_CompareWithASCIIString(key, names[i]) == 0) {
                    if (arguments[i] != NULL) {
                        PyErr_Format(PyExc_TypeError,
                                     "apply_mask() got multiple values for "
                                     "argument '%s'", names[i]);
                        return NULL;
                    }
                    arguments[i] = args[nargs + k];
                    found = 1;
                }
            }
            if (!found) {
                PyErr_Format(PyExc_TypeError,
                             "apply_mask() got an unexpected keyword argument '%U'",
                             key);
                return NULL;
            }
        }
    }
    if (arguments[0] == NULL || arguments[1] == NULL) {
        PyErr_SetString(PyExc_TypeError,
                        "apply_mask() takes exactly 2 arguments (data, mask)");
        return NULL;
    }
    if (get_contiguous_buffer(arguments[0], &data) == -1) {
        return NULL;
    }
    if (get_contiguous_buffer(arguments[1], &mask) == -1) {
        PyBuffer_Release(&data);
        return NULL;
    }
    if (mask.len != 4) {
        PyErr_SetString(PyExc_ValueError, "mask must contain 4 bytes");
        goto exit;
    }

    result = PyBytes_FromStringAndSize(NULL, data.len);
    if (result == NULL) {
        goto exit;
    }
    if (data.len > 0) {
        /* Large payloads don't need the GIL while they are masked, but the
           buffers may be mutable and shared, so keep it for consistency. */
        xor_mask((const unsigned char *)data.buf,
                 (unsigned char *)PyBytes_AS_STRING(result), data.len,
                 (const unsigned char *)mask.buf);
    }

exit:
    PyBuffer_Release(&mask);
    PyBuffer_Release(&data);
    return result;
}

PyDoc_STRVAR(serialize_frame_doc,
"serialize_frame(head1, data, mask, /)\n"
"--\n"
"\n"
"Serialize a frame: header, masking key if any, then the payload, masked\n"
"with the key if any, in a single bytes object.\n"
"\n"
"Args:\n"
"    head1: First byte of the frame: FIN, RSV1-3 and opcode.\n"
"    data: Payload; any object supporting the buffer protocol.\n"
"    mask: 4-bytes masking key, or None to send the payload unmasked.\n"
"\n"
"Raises:\n"
"    ValueError: If ``head1`` isn't a byte or ``mask`` doesn't contain 4 bytes.\n");

static PyObject *
serialize_frame(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    Py_buffer data, mask;
    PyObject *result = NULL;
    long head1;
    int masked;
    unsigned char header[14];
    Py_ssize_t header_size;

    if (nargs != 3) {
        PyErr_Format(PyExc_TypeError,
                     "serialize_frame() takes exactly 3 arguments (%zd given)",
                     nargs);
        return NULL;
    }
    head1 = PyLong_AsLong(args[0]);
    if (head1 == -1 && PyErr_Occurred()) {
        return NULL;
    }
    if (head1 < 0 || head1 > 255) {
        PyErr_SetString(PyExc_ValueError, "head1 must be in range(256)");
        return NULL;
    }
    masked = args[2] != Py_None;
    if (get_contiguous_buffer(args[1], &data) == -1) {
        return NULL;
    }
    if (masked) {
        if (get_contiguous_buffer(args[2], &mask) == -1) {
            PyBuffer_Release(&data);
            return NULL;
        }
        if (mask.len != 4) {
            PyErr_SetString(PyExc_ValueError, "mask must contain 4 bytes");
            goto exit;
        }
    }

    /* RFC 6455, 5.2: the length is encoded on the minimal number of bytes. */
    header[0] = (unsigned char)head1;
    if (data.len < 126) {
        header[1] = (unsigned char)data.len;
        header_size = 2;
    }
    else if (data.len < 65536) {
        header[1] = 126;
        header[2] = (unsigned char)(data.len >> 8);
        header[3] = (unsigned char)data.len;
        header_size = 4;
    }
    else {
        uint64_t length = (uint64_t)data.len;
        header[1] = 127;
        for (int i = 0; i < 8; i++) {
            header[2 + i] = (unsigned char)(length >> (56 - 8 * i));
        }
        header_size = 10;
    }
    if (masked) {
        header[1] |= 0x80;
        memcpy(header + header_size, mask.buf, 4);
        header_size += 4;
    }

    result = PyBytes_FromStringAndSize(NULL, header_size + data.len);
    if (result == NULL) {
        goto exit;
    }
    {
        unsigned char *output = (unsigned char *)PyBytes_AS_STRING(result);
        memcpy(output, header, header_size);
        if (data.len > 0) {
            if (masked) {
                xor_mask((const unsigned char *)data.buf, output + header_size,
                         data.len, (const unsigned char *)mask.buf);
            }
            else {
                memcpy(output + header_size, data.buf, data.len);
            }
        }
    }

exit:
    if (masked) {
        PyBuffer_Release(&mask);
    }
    PyBuffer_Release(&data);
    return result;
}

/* What the functions of this module need from ws_frames: the classes that
   decode_at() raises, from ws_frames.exceptions, loaded with this module;
   those that it builds, which ws_frames.frames hands over with
   set_frame_types() as soon as it defines them, since it imports this
   module first; and the type of FrameDecoder. */
typedef struct {
    PyObject *protocol_error;
    PyObject *payload_too_big;
    PyObject *frame_type;
    PyObject *frame_init;
    PyObject *opcodes;
    PyObject *empty_tuple;
    PyObject *decoder_type;
} speedups_state;

/* An optional size limit. */
typedef struct {
    int on;
    int64_t value;
} limit_t;

/* Read a limit: None means none. Like Python integers, a limit beyond the
   range of int64_t compares as larger or smaller than any length. */
static int
read_limit(PyObject *object, limit_t *limit)
{
    int overflow;
    long long value;

    if (object == Py_None) {
        limit->on = 0;
        return 0;
    }
    value = PyLong_AsLongLongAndOverflow(object, &overflow);
    if (value == -1 && PyErr_Occurred()) {
        return -1;
    }
    /* Lengths are below 2**63: a larger limit is none. */
    limit->on = overflow <= 0;
    limit->value = overflow < 0 ? INT64_MIN : (int64_t)value;
    return 0;
}

static PyObject *
limit_to_object(const limit_t *limit)
{
    if (!limit->on) {
        Py_RETURN_NONE;
    }
    return PyLong_FromLongLong(limit->value);
}

/* Read a position; one out of the range of Py_ssize_t becomes -1, which
   decode_at() rejects like any position outside of the data. */
static int
read_position(PyObject *object, Py_ssize_t *position)
{
    int overflow;
    long long value = PyLong_AsLongLongAndOverflow(object, &overflow);

    if (value == -1 && PyErr_Occurred()) {
        return -1;
    }
    *position = overflow || value > PY_SSIZE_T_MAX ? -1 : (Py_ssize_t)value;
    return 0;
}

/* Build the Frame from the first byte of the header and the payload, and
   steal the reference to the payload. */
static PyObject *
build_frame(speedups_state *state, unsigned char head1, PyObject *payload)
{
    /* args[0] is for the instance, when __init__ is called directly. */
    PyObject *args[7], *frame, *result;
    size_t count = 2;

    args[1] = PyTuple_GET_ITEM(state->opcodes, head1 & 0x0F);
    args[2] = payload;
    /* Like py_decode_frame(): a final frame without reserved bits takes
       Frame's defaults. */
    if (head1 >> 4 != 8) {
        args[3] = head1 & 0x80 ? Py_True : Py_False;
        args[4] = head1 & 0x40 ? Py_True : Py_False;
        args[5] = head1 & 0x20 ? Py_True : Py_False;
        args[6] = head1 & 0x10 ? Py_True : Py_False;
        count = 6;
    }
    if (state->frame_init == NULL) {
        frame = PyObject_Vectorcall(state->frame_type, args + 1, count, NULL);
        Py_DECREF(payload);
        return frame;
    }
    /* What calling the class does, minus looking up __new__ and __init__
       and packing the arguments in a tuple for them: a sizable share of
       the cost of decoding a small frame. */
    frame = ((PyTypeObject *)state->frame_type)->tp_new(
        (PyTypeObject *)state->frame_type, state->empty_tuple, NULL);
    if (frame != NULL) {
        args[0] = frame;
        result = PyObject_Vectorcall(state->frame_init, args, count + 1, NULL);
        if (result == NULL) {
            Py_CLEAR(frame);
        }
        Py_XDECREF(result);
    }
    Py_DECREF(payload);
    return frame;
}

static int
protocol_error(speedups_state *state, const char *message)
{
    PyErr_SetString(state->protocol_error, message);
    return -1;
}

static int
too_big(speedups_state *state, uint64_t length, int64_t limit)
{
    PyObject *exc = PyObject_CallFunction(
        state->payload_too_big, "KL", (unsigned long long)length, (long long)limit);

    if (exc != NULL) {
        PyErr_SetObject(state->payload_too_big, exc);
        Py_DECREF(exc);
    }
    return -1;
}

#define NOT_MINIMAL "payload length not encoded on the minimal number of bytes"

/* Decode the frame at position in object. On success, return 0 and set
   *frame to it, or to NULL if the data ends before the frame does, and *end
   to where the frame ends, or must end for decoding to go on. On error,
   return -1 with an exception set. */
static int
decode_at(speedups_state *state, PyObject *object, Py_ssize_t position,
          int mask, int extensions, const limit_t *max_size,
          const limit_t *max_control_size, PyObject **frame, uint64_t *end)
{
    Py_buffer buffer = {.obj = NULL};
    const unsigned char *data;
    const limit_t *limit;
    Py_ssize_t size, start;
    unsigned char head1, head2, opcode;
    uint64_t length;
    PyObject *payload;
    int result = -1;

    *frame = NULL;
    if (state->frame_type == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "import ws_frames.frames first");
        return -1;
    }
    /* bytes and bytearray, which Protocol passes, are read in place, which
       is cheaper than the buffer protocol. Either way, nothing here runs
       Python code until the payload is copied, so a bytearray can't change
       under our feet, and the caller may resize it between calls. */
    if (PyBytes_CheckExact(object)) {
        data = (const unsigned char *)PyBytes_AS_STRING(object);
        size = PyBytes_GET_SIZE(object);
    }
    else if (PyByteArray_CheckExact(object)) {
        data = (const unsigned char *)PyByteArray_AS_STRING(object);
        size = PyByteArray_GET_SIZE(object);
    }
    else {
        if (get_contiguous_buffer(object, &buffer) < 0) {
            return -1;
        }
        data = (const unsigned char *)buffer.buf;
        size = buffer.len;
    }
    if (position < 0 || position > size) {
        PyErr_SetString(PyExc_ValueError, "position must be within data");
        goto exit;
    }
    if (size - position < 2) {
        *end = (uint64_t)position + 2;
        result = 0;
        goto exit;
    }
    head1 = data[position];
    head2 = data[position + 1];
    opcode = head1 & 0x0F;
    if (PyTuple_GET_ITEM(state->opcodes, opcode) == Py_None) {
        protocol_error(state, "invalid opcode");
        goto exit;
    }
    if (((head2 & 0x80) != 0) != mask) {
        protocol_error(state, "incorrect masking");
        goto exit;
    }
    if ((head1 & 0x70) && !extensions) {
        protocol_error(state, "reserved bits must be 0");
        goto exit;
    }
    length = head2 & 0x7F;
    start = position + 2;
    if (length == 126) {
        if (size - start < 2) {
            *end = (uint64_t)start + 2;
            result = 0;
            goto exit;
        }
        length = (uint64_t)data[start] << 8 | data[start + 1];
        start += 2;
        if (length < 126) {
            protocol_error(state, NOT_MINIMAL);
            goto exit;
        }
    }
    else if (length == 127) {
        if (size - start < 8) {
            *end = (uint64_t)start + 8;
            result = 0;
            goto exit;
        }
        length = 0;
        for (int i = 0; i < 8; i++) {
            length = length << 8 | data[start + i];
        }
        start += 8;
        if (length >> 63) {
            protocol_error(state, "most significant bit of payload length must be 0");
            goto exit;
        }
        if (length < 65536) {
            protocol_error(state, NOT_MINIMAL);
            goto exit;
        }
    }
    if (head1 & 0x08) {
        if (length > 125) {
            protocol_error(state, "control frame too long");
            goto exit;
        }
        if (!(head1 & 0x80)) {
            protocol_error(state, "fragmented control frame");
            goto exit;
        }
        limit = max_control_size;
    }
    else {
        limit = max_size;
    }
    /* length < 2**63, so it converts to int64_t without loss. */
    if (limit->on && (int64_t)length > limit->value) {
        too_big(state, length, limit->value);
        goto exit;
    }
    if (mask) {
        start += 4;
    }
    /* start and length are below 2**63: their sum doesn't overflow. */
    *end = (uint64_t)start + length;
    if (*end > (uint64_t)size) {
        result = 0;
        goto exit;
    }

    payload = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)length);
    if (payload == NULL) {
        goto exit;
    }
    if (length > 0) {
        if (mask) {
            xor_mask(data + start, (unsigned char *)PyBytes_AS_STRING(payload),
                     (Py_ssize_t)length, data + start - 4);
        }
        else {
            memcpy(PyBytes_AS_STRING(payload), data + start, (size_t)length);
        }
    }
    *frame = build_frame(state, head1, payload);
    if (*frame != NULL) {
        result = 0;
    }

exit:
    if (buffer.obj != NULL) {
        PyBuffer_Release(&buffer);
    }
    return result;
}

static inline speedups_state *
get_state(PyObject *module)
{
    return (speedups_state *)PyModule_GetState(module);
}

PyDoc_STRVAR(set_frame_types_doc,
"set_frame_types(frame_type, opcodes, /)\n"
"--\n"
"\n"
"Set the class of the frames that the decoders build, and the opcode of each\n"
"value of the four low bits of the first byte, None where it's reserved.\n");

static PyObject *
set_frame_types(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    speedups_state *state = get_state(module);
    PyObject *init;

    if (nargs != 2) {
        PyErr_Format(PyExc_TypeError,
                     "set_frame_types() takes exactly 2 arguments (%zd given)", nargs);
        return NULL;
    }
    if (!PyTuple_CheckExact(args[1]) || PyTuple_GET_SIZE(args[1]) != 16) {
        PyErr_SetString(PyExc_TypeError, "opcodes must be a tuple of 16 items");
        return NULL;
    }
    /* build_frame() calls __init__ directly when the class creates its
       instances with object.__new__ and initializes them with a function
       written in Python, such as the __init__ of a dataclass. */
    init = NULL;
    if (PyType_Check(args[0]) &&
        ((PyTypeObject *)args[0])->tp_new == PyBaseObject_Type.tp_new) {
        init = PyObject_GetAttrString(args[0], "__init__");
        if (init == NULL) {
            return NULL;
        }
        if (!PyFunction_Check(init)) {
            Py_CLEAR(init);
        }
    }
    Py_XSETREF(state->frame_type, Py_NewRef(args[0]));
    Py_XSETREF(state->frame_init, init);
    Py_XSETREF(state->opcodes, Py_NewRef(args[1]));
    Py_RETURN_NONE;
}

PyDoc_STRVAR(decode_frame_doc,
"decode_frame(data, position, mask, extensions, max_size, max_control_size, /)\n"
"--\n"
"\n"
"Compiled twin of :func:`ws_frames.frames.py_decode_frame`.\n");

static PyObject *
decode_frame(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    speedups_state *state = get_state(module);
    Py_ssize_t position;
    int mask, extensions;
    limit_t max_size, max_control_size;
    PyObject *frame, *last, *result;
    uint64_t end;

    if (nargs != 6) {
        PyErr_Format(PyExc_TypeError,
                     "decode_frame() takes exactly 6 arguments (%zd given)", nargs);
        return NULL;
    }
    if (read_position(args[1], &position) < 0 ||
        (mask = PyObject_IsTrue(args[2])) < 0 ||
        (extensions = PyObject_IsTrue(args[3])) < 0 ||
        read_limit(args[4], &max_size) < 0 ||
        read_limit(args[5], &max_control_size) < 0) {
        return NULL;
    }
    if (decode_at(state, args[0], position, mask, extensions, &max_size,
                  &max_control_size, &frame, &end) < 0) {
        return NULL;
    }
    last = PyLong_FromUnsignedLongLong((unsigned long long)end);
    if (last == NULL) {
        Py_XDECREF(frame);
        return NULL;
    }
    result = PyTuple_Pack(2, frame == NULL ? Py_None : frame, last);
    Py_XDECREF(frame);
    Py_DECREF(last);
    return result;
}

/* FrameDecoder: an iterator over the frames in data, from position on. */

typedef struct {
    PyObject_HEAD
    PyObject *data;
    Py_ssize_t position;
    int mask;
    int extensions;
    limit_t max_size;
    limit_t max_control_size;
} FrameDecoder;

static PyObject *
decoder_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    PyObject *data, *position, *mask, *extensions, *max_size, *max_control_size;
    FrameDecoder *self;

    if (kwargs != NULL && PyDict_GET_SIZE(kwargs) > 0) {
        PyErr_SetString(PyExc_TypeError, "FrameDecoder() takes no keyword arguments");
        return NULL;
    }
    if (!PyArg_UnpackTuple(args, "FrameDecoder", 6, 6, &data, &position, &mask,
                           &extensions, &max_size, &max_control_size)) {
        return NULL;
    }
    self = (FrameDecoder *)type->tp_alloc(type, 0);
    if (self == NULL) {
        return NULL;
    }
    self->data = Py_NewRef(data);
    if (read_position(position, &self->position) < 0 ||
        (self->mask = PyObject_IsTrue(mask)) < 0 ||
        (self->extensions = PyObject_IsTrue(extensions)) < 0 ||
        read_limit(max_size, &self->max_size) < 0 ||
        read_limit(max_control_size, &self->max_control_size) < 0) {
        Py_DECREF(self);
        return NULL;
    }
    return (PyObject *)self;
}

static int
decoder_traverse(FrameDecoder *self, visitproc visit, void *arg)
{
    Py_VISIT(self->data);
    Py_VISIT(Py_TYPE(self));
    return 0;
}

static void
decoder_dealloc(FrameDecoder *self)
{
    PyTypeObject *type = Py_TYPE(self);

    PyObject_GC_UnTrack(self);
    Py_CLEAR(self->data);
    type->tp_free(self);
    Py_DECREF(type);
}

static PyObject *
decoder_next(FrameDecoder *self)
{
    speedups_state *state = PyType_GetModuleState(Py_TYPE(self));
    PyObject *frame;
    uint64_t end;

    if (decode_at(state, self->data, self->position, self->mask, self->extensions,
                  &self->max_size, &self->max_control_size, &frame, &end) < 0) {
        return NULL;
    }
    if (frame != NULL) {
        self->position = (Py_ssize_t)end;
    }
    return frame;  /* NULL without an exception stops the iteration */
}

static PyObject *
decoder_get_position(FrameDecoder *self, void *closure)
{
    return PyLong_FromSsize_t(self->position);
}

static PyObject *
decoder_get_max_size(FrameDecoder *self, void *closure)
{
    return limit_to_object(&self->max_size);
}

static int
decoder_set_max_size(FrameDecoder *self, PyObject *value, void *closure)
{
    if (value == NULL) {
        PyErr_SetString(PyExc_AttributeError, "cannot delete max_size");
        return -1;
    }
    return read_limit(value, &self->max_size);
}

static PyGetSetDef decoder_getset[] = {
    {"position", (getter)decoder_get_position, NULL,
     "Where the next frame starts in the data.", NULL},
    {"max_size", (getter)decoder_get_max_size, (setter)decoder_set_max_size,
     "Limit on the payload of the next data frames.", NULL},
    {NULL},
};

PyDoc_STRVAR(decoder_doc,
"FrameDecoder(data, position, mask, extensions, max_size, max_control_size, /)\n"
"--\n"
"\n"
"Compiled twin of :class:`ws_frames.frames.PyFrameDecoder`.\n");

static PyType_Slot decoder_slots[] = {
    {Py_tp_doc, (void *)decoder_doc},
    {Py_tp_new, decoder_new},
    {Py_tp_dealloc, decoder_dealloc},
    {Py_tp_traverse, decoder_traverse},
    {Py_tp_iter, PyObject_SelfIter},
    {Py_tp_iternext, decoder_next},
    {Py_tp_getset, decoder_getset},
    {0, NULL},
};

static PyType_Spec decoder_spec = {
    .name = "ws_frames._speedups.FrameDecoder",
    .basicsize = sizeof(FrameDecoder),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = decoder_slots,
};

static PyMethodDef speedups_methods[] = {
    {"apply_mask", (PyCFunction)(void (*)(void))apply_mask,
     METH_FASTCALL | METH_KEYWORDS, apply_mask_doc},
    {"serialize_frame", (PyCFunction)(void (*)(void))serialize_frame,
     METH_FASTCALL, serialize_frame_doc},
    {"decode_frame", (PyCFunction)(void (*)(void))decode_frame,
     METH_FASTCALL, decode_frame_doc},
    {"set_frame_types", (PyCFunction)(void (*)(void))set_frame_types,
     METH_FASTCALL, set_frame_types_doc},
    {NULL, NULL, 0, NULL},
};

static int
speedups_exec(PyObject *module)
{
    speedups_state *state = get_state(module);
    PyObject *exceptions = PyImport_ImportModule("ws_frames.exceptions");

    if (exceptions == NULL) {
        return -1;
    }
    state->protocol_error = PyObject_GetAttrString(exceptions, "ProtocolError");
    state->payload_too_big = PyObject_GetAttrString(exceptions, "PayloadTooBig");
    Py_DECREF(exceptions);
    if (state->protocol_error == NULL || state->payload_too_big == NULL) {
        return -1;
    }
    state->empty_tuple = PyTuple_New(0);
    if (state->empty_tuple == NULL) {
        return -1;
    }
    state->decoder_type = PyType_FromModuleAndSpec(module, &decoder_spec, NULL);
    if (state->decoder_type == NULL) {
        return -1;
    }
    return PyModule_AddObjectRef(module, "FrameDecoder", state->decoder_type);
}

static int
speedups_traverse(PyObject *module, visitproc visit, void *arg)
{
    speedups_state *state = get_state(module);
    Py_VISIT(state->protocol_error);
    Py_VISIT(state->payload_too_big);
    Py_VISIT(state->frame_type);
    Py_VISIT(state->frame_init);
    Py_VISIT(state->opcodes);
    Py_VISIT(state->empty_tuple);
    Py_VISIT(state->decoder_type);
    return 0;
}

static int
speedups_clear(PyObject *module)
{
    speedups_state *state = get_state(module);
    Py_CLEAR(state->protocol_error);
    Py_CLEAR(state->payload_too_big);
    Py_CLEAR(state->frame_type);
    Py_CLEAR(state->frame_init);
    Py_CLEAR(state->opcodes);
    Py_CLEAR(state->empty_tuple);
    Py_CLEAR(state->decoder_type);
    return 0;
}

static void
speedups_free(void *module)
{
    speedups_clear((PyObject *)module);
}

static struct PyModuleDef_Slot speedups_slots[] = {
    {Py_mod_exec, speedups_exec},
#if PY_VERSION_HEX >= 0x030C0000
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
#endif
#if PY_VERSION_HEX >= 0x030D0000
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
#endif
    {0, NULL},
};

static struct PyModuleDef speedups_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "ws_frames._speedups",
    .m_doc = "Compiled speed-up of ws_frames.",
    .m_size = sizeof(speedups_state),
    .m_methods = speedups_methods,
    .m_slots = speedups_slots,
    .m_traverse = speedups_traverse,
    .m_clear = speedups_clear,
    .m_free = speedups_free,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    return PyModuleDef_Init(&speedups_module);
}
