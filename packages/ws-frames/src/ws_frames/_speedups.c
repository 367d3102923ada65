/* Compiled speed-up of ws_frames: masking of frame payloads (RFC 6455, 5.3). */

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
    if (PyObject_GetBuffer(arguments[0], &data, PyBUF_SIMPLE) == -1) {
        return NULL;
    }
    if (PyObject_GetBuffer(arguments[1], &mask, PyBUF_SIMPLE) == -1) {
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
    if (PyObject_GetBuffer(args[1], &data, PyBUF_SIMPLE) == -1) {
        return NULL;
    }
    if (masked) {
        if (PyObject_GetBuffer(args[2], &mask, PyBUF_SIMPLE) == -1) {
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

PyDoc_STRVAR(scan_frames_doc,
"scan_frames(data, position, masked, rsv_allowed, max_length, /)\n"
"--\n"
"\n"
"Decode consecutive frames from ``data``, starting at ``position``.\n"
"\n"
"Only the simplest frames are decoded: control frames and final data frames\n"
"that start a message. Scanning stops at the first frame that is incomplete,\n"
"invalid, fragmented, longer than ``max_length`` (unless it's negative), or\n"
"has reserved bits outside of ``rsv_allowed``; the caller handles it.\n"
"\n"
"Returns:\n"
"    A list of ``(head1, payload)`` pairs, with payloads unmasked, and the\n"
"    position of the first frame that wasn't decoded.\n");

static PyObject *
scan_frames(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    Py_buffer buffer;
    Py_ssize_t position, max_length;
    int masked;
    long rsv_allowed;
    PyObject *frames = NULL, *result = NULL;

    if (nargs != 5) {
        PyErr_Format(PyExc_TypeError,
                     "scan_frames() takes exactly 5 arguments (%zd given)", nargs);
        return NULL;
    }
    position = PyLong_AsSsize_t(args[1]);
    if (position == -1 && PyErr_Occurred()) {
        return NULL;
    }
    masked = PyObject_IsTrue(args[2]);
    if (masked == -1) {
        return NULL;
    }
    rsv_allowed = PyLong_AsLong(args[3]);
    if (rsv_allowed == -1 && PyErr_Occurred()) {
        return NULL;
    }
    max_length = PyLong_AsSsize_t(args[4]);
    if (max_length == -1 && PyErr_Occurred()) {
        return NULL;
    }
    if (PyObject_GetBuffer(args[0], &buffer, PyBUF_SIMPLE) == -1) {
        return NULL;
    }
    if (position < 0 || position > buffer.len) {
        PyErr_SetString(PyExc_ValueError, "position must be within data");
        goto exit;
    }
    frames = PyList_New(0);
    if (frames == NULL) {
        goto exit;
    }

    {
        const unsigned char *data = (const unsigned char *)buffer.buf;
        const Py_ssize_t end = buffer.len;
        const unsigned char mask_bit = masked ? 0x80 : 0;

        while (end - position >= 2) {
            unsigned char head1 = data[position], head2 = data[position + 1];
            unsigned char opcode = head1 & 0x0F;
            Py_ssize_t start = position + 2;
            uint64_t length = head2 & 0x7F;
            PyObject *payload, *item;

            if ((head2 & 0x80) != mask_bit || (head1 & 0x70 & ~rsv_allowed)) {
                break;
            }
            if (opcode >= 8) {
                /* Control frame: final, at most 125 bytes, known opcode. */
                if (opcode > 10 || !(head1 & 0x80) || length > 125) {
                    break;
                }
            }
            else {
                /* Data frame starting and ending a message. */
                if ((opcode != 1 && opcode != 2) || !(head1 & 0x80)) {
                    break;
                }
                if (length == 126) {
                    if (end - start < 2) {
                        break;
                    }
                    length = ((uint64_t)data[start] << 8) | data[start + 1];
                    start += 2;
                    if (length < 126) {
                        break;
                    }
                }
                else if (length == 127) {
                    if (end - start < 8) {
                        break;
                    }
                    length = 0;
                    for (int i = 0; i < 8; i++) {
                        length = (length << 8) | data[start + i];
                    }
                    start += 8;
                    /* Also rules out lengths with the most significant bit. */
                    if (length < 65536 || length > (uint64_t)PY_SSIZE_T_MAX) {
                        break;
                    }
                }
                if (max_length >= 0 && length > (uint64_t)max_length) {
                    break;
                }
            }
            if (masked) {
                start += 4;
            }
            if (start > end || (uint64_t)(end - start) < length) {
                break;
            }

            payload = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)length);
            if (payload == NULL) {
                goto error;
            }
            if (masked) {
                xor_mask(data + start, (unsigned char *)PyBytes_AS_STRING(payload),
                         (Py_ssize_t)length, data + start - 4);
            }
            else {
                memcpy(PyBytes_AS_STRING(payload), data + start, (size_t)length);
            }
            item = Py_BuildValue("(iN)", (int)head1, payload);
            if (item == NULL) {
                goto error;
            }
            if (PyList_Append(frames, item) == -1) {
                Py_DECREF(item);
                goto error;
            }
            Py_DECREF(item);
            position = start + (Py_ssize_t)length;
        }
    }

    result = Py_BuildValue("(Nn)", frames, position);
    frames = NULL;
    goto exit;

error:
    Py_XDECREF(frames);
exit:
    PyBuffer_Release(&buffer);
    return result;
}

static PyMethodDef speedups_methods[] = {
    {"scan_frames", (PyCFunction)(void (*)(void))scan_frames, METH_FASTCALL,
     scan_frames_doc},
    {"apply_mask", (PyCFunction)(void (*)(void))apply_mask,
     METH_FASTCALL | METH_KEYWORDS, apply_mask_doc},
    {"serialize_frame", (PyCFunction)(void (*)(void))serialize_frame,
     METH_FASTCALL, serialize_frame_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef_Slot speedups_slots[] = {
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
    .m_size = 0,
    .m_methods = speedups_methods,
    .m_slots = speedups_slots,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    return PyModuleDef_Init(&speedups_module);
}
