//! Values that the core hands to JavaScript, converted on the JS thread with raw N-API calls.

use std::net::SocketAddr;
use std::ptr;

use bytes::Bytes;
use napi::bindgen_prelude::ToNapiValue;
use napi::{check_status, sys, Result};

use crate::transport::connection::Delivery;
use crate::transport::TransportError;

/// Chunks up to this size are copied into a fresh JS Buffer (cheaper than an external buffer
/// with a finalizer); larger ones are handed over without a copy.
const COPY_LIMIT: usize = 64 * 1024;

/// One argument of an event callback.
pub enum JsOut {
    /// `undefined`.
    Undefined,
    /// A boolean.
    Bool(bool),
    /// The bytes of a decoded batch: a `Buffer`.
    Chunk(Delivery),
    /// A batch's frame table: a `Uint32Array`.
    Frames(Vec<u32>),
    /// A Node-style `Error` with `code`, `errno`, `syscall`, `address`, `port`.
    Error(TransportError),
    /// `{localAddress, localPort, remoteAddress, remotePort, remoteFamily}`.
    Addresses {
        /// Our end.
        local: SocketAddr,
        /// The server's end.
        remote: SocketAddr,
    },
}

impl ToNapiValue for JsOut {
    unsafe fn to_napi_value(env: sys::napi_env, val: Self) -> Result<sys::napi_value> {
        // SAFETY (whole fn): called by napi-rs on the JS thread with a live env.
        unsafe {
            match val {
                JsOut::Undefined => {
                    let mut v = ptr::null_mut();
                    check_status!(sys::napi_get_undefined(env, &mut v))?;
                    Ok(v)
                }
                JsOut::Bool(b) => <bool as ToNapiValue>::to_napi_value(env, b),
                // The delivery (and with it the read budget) is released once JS has the bytes.
                JsOut::Chunk(delivery) => buffer(env, delivery.batch.data.clone()),
                JsOut::Frames(frames) => uint32_array(env, &frames),
                JsOut::Error(e) => error(env, &e),
                JsOut::Addresses { local, remote } => {
                    let obj = object(env)?;
                    set(
                        env,
                        obj,
                        c"localAddress",
                        string(env, &local.ip().to_string())?,
                    )?;
                    set(
                        env,
                        obj,
                        c"localPort",
                        <u32 as ToNapiValue>::to_napi_value(env, u32::from(local.port()))?,
                    )?;
                    set(
                        env,
                        obj,
                        c"remoteAddress",
                        string(env, &remote.ip().to_string())?,
                    )?;
                    set(
                        env,
                        obj,
                        c"remotePort",
                        <u32 as ToNapiValue>::to_napi_value(env, u32::from(remote.port()))?,
                    )?;
                    let family = if remote.is_ipv4() { "IPv4" } else { "IPv6" };
                    set(env, obj, c"remoteFamily", string(env, family)?)?;
                    Ok(obj)
                }
            }
        }
    }
}

unsafe fn object(env: sys::napi_env) -> Result<sys::napi_value> {
    let mut obj = ptr::null_mut();
    check_status!(unsafe { sys::napi_create_object(env, &mut obj) })?;
    Ok(obj)
}

unsafe fn set(
    env: sys::napi_env,
    obj: sys::napi_value,
    key: &std::ffi::CStr,
    v: sys::napi_value,
) -> Result<()> {
    check_status!(unsafe { sys::napi_set_named_property(env, obj, key.as_ptr(), v) })
}

unsafe fn string(env: sys::napi_env, s: &str) -> Result<sys::napi_value> {
    let mut v = ptr::null_mut();
    check_status!(unsafe {
        sys::napi_create_string_utf8(env, s.as_ptr().cast(), s.len() as isize, &mut v)
    })?;
    Ok(v)
}

/// A JS Buffer holding `data`: copied when small, external (no copy) when large.
///
/// # Safety
/// `env` must be the live env of the calling JS thread.
pub unsafe fn buffer(env: sys::napi_env, data: Bytes) -> Result<sys::napi_value> {
    let mut v = ptr::null_mut();
    let len = data.len();
    if len <= COPY_LIMIT {
        let mut out = ptr::null_mut();
        check_status!(unsafe {
            sys::napi_create_buffer_copy(env, len, data.as_ptr().cast(), &mut out, &mut v)
        })?;
        return Ok(v);
    }
    let ptr = data.as_ptr() as *mut u8;
    let hint = Box::into_raw(Box::new(data));
    let status = unsafe {
        sys::napi_create_external_buffer(
            env,
            len,
            ptr.cast(),
            Some(drop_bytes),
            hint.cast(),
            &mut v,
        )
    };
    if status != sys::Status::napi_ok {
        // SAFETY: the finalizer was not registered, so the box is still ours.
        let data = unsafe { Box::from_raw(hint) };
        let mut out = ptr::null_mut();
        check_status!(unsafe {
            sys::napi_create_buffer_copy(env, len, data.as_ptr().cast(), &mut out, &mut v)
        })?;
    }
    Ok(v)
}

unsafe extern "C" fn drop_bytes(
    _env: sys::napi_env,
    _data: *mut std::ffi::c_void,
    hint: *mut std::ffi::c_void,
) {
    // SAFETY: `hint` is the Box<Bytes> leaked in `buffer`, finalized exactly once by N-API.
    drop(unsafe { Box::from_raw(hint.cast::<Bytes>()) });
}

/// A `Uint32Array` with a copy of `data`.
///
/// # Safety
/// `env` must be the live env of the calling JS thread.
pub unsafe fn uint32_array(env: sys::napi_env, data: &[u32]) -> Result<sys::napi_value> {
    let bytes = std::mem::size_of_val(data);
    let mut raw: *mut std::ffi::c_void = ptr::null_mut();
    let mut ab = ptr::null_mut();
    check_status!(unsafe { sys::napi_create_arraybuffer(env, bytes, &mut raw, &mut ab) })?;
    if bytes > 0 && !raw.is_null() {
        // SAFETY: `raw` points at `bytes` fresh bytes; u32 has no invalid bit patterns.
        unsafe { ptr::copy_nonoverlapping(data.as_ptr().cast::<u8>(), raw.cast::<u8>(), bytes) };
    }
    let mut arr = ptr::null_mut();
    check_status!(unsafe {
        sys::napi_create_typedarray(
            env,
            sys::TypedarrayType::uint32_array,
            data.len(),
            ab,
            0,
            &mut arr,
        )
    })?;
    Ok(arr)
}

/// A JS `Error` shaped like Node's socket errors.
///
/// # Safety
/// `env` must be the live env of the calling JS thread.
pub unsafe fn error(env: sys::napi_env, e: &TransportError) -> Result<sys::napi_value> {
    unsafe {
        let code = string(env, e.code())?;
        let msg = string(env, &e.to_string())?;
        let mut err = ptr::null_mut();
        check_status!(sys::napi_create_error(env, code, msg, &mut err))?;
        if let TransportError::Io {
            errno,
            syscall,
            address,
            port,
            ..
        } = e
        {
            if *errno != 0 {
                set(
                    env,
                    err,
                    c"errno",
                    <i32 as ToNapiValue>::to_napi_value(env, *errno)?,
                )?;
            }
            set(env, err, c"syscall", string(env, syscall.name())?)?;
            if let Some(a) = address {
                let key = if *syscall == crate::transport::Syscall::Getaddrinfo {
                    c"hostname"
                } else {
                    c"address"
                };
                set(env, err, key, string(env, a)?)?;
            }
            if let Some(p) = port {
                set(
                    env,
                    err,
                    c"port",
                    <u32 as ToNapiValue>::to_napi_value(env, u32::from(*p))?,
                )?;
            }
        }
        Ok(err)
    }
}
