//! A batch's columns as Parquet pages, each column encoded the way its values call for.
//!
//! polars' own writer decides afresh for every row group whether a column is worth a
//! dictionary (an estimate of its cardinality, then a hash of every value), and compresses
//! every page. An import knows more: a column that was too varied for a dictionary once
//! stays so (text is then written DELTA_LENGTH_BYTE_ARRAY), a column of a few distinct
//! words (a currency, a transaction type) is dictionary-encoded by comparing against those
//! few words, and dictionary keys, being bit-packed already, are not worth compressing.

use polars::prelude::{PolarsError, PolarsResult};
use polars_arrow::array::{Array, BinaryArray, BooleanArray, DictionaryArray, PrimitiveArray};
use polars_arrow::bitmap::Bitmap;
use polars_arrow::datatypes::{ArrowDataType, IntegerType};
use polars_arrow::offset::{Offsets, OffsetsBuffer};
use polars_arrow::types::NativeType;
use polars_parquet::parquet::compression::Compression;
use polars_parquet::parquet::page::{CompressedDataPage, CompressedDictPage, DataPageHeader};
use polars_parquet::parquet::CowBuffer;
use polars_parquet::write::{
    array_to_columns, CompressedPage, Encoding, Page, ParquetType, StatisticsOptions, WriteOptions,
};
use revlens_model::{Cells, ColumnValues, TextValues};

/// Distinct values a text column may have to be dictionary-encoded by comparison.
const FEW_WORDS: usize = 16;

/// zstd's level for pages that are not dictionary keys: its fastest positive one.
/// Negative levels were measured: up to 10% less import CPU for tables 1.3–2.6× larger.
const ZSTD_LEVEL: i32 = 1;

/// How many times smaller zstd must make a column's first row group for the rest of the
/// column to be compressed. Measured on 5M generated transactions: invoice ids shrink 28×
/// (long repeats, cheap to find); customer ids and amounts only 2.4× (no repeats, just
/// entropy coding), and compressing those two took some 15% of the import's CPU to save
/// 47 MB, a sixth of what the import stores beside the original file.
const WORTH_COMPRESSING: usize = 3;

/// Compresses a table's pages with one zstd context for all of them (a fresh context per
/// page costs its allocation and set-up every time).
pub(super) struct PageCompressor {
    zstd: zstd::bulk::Compressor<'static>,
}

impl PageCompressor {
    pub(super) fn new() -> PolarsResult<Self> {
        Ok(Self { zstd: zstd::bulk::Compressor::new(ZSTD_LEVEL).map_err(zstd_error)? })
    }

    fn zstd(&mut self, bytes: &[u8], out: &mut Vec<u8>) -> PolarsResult<()> {
        out.reserve(zstd::zstd_safe::compress_bound(bytes.len()));
        self.zstd.compress_to_buffer(bytes, out).map_err(zstd_error)?;
        Ok(())
    }

    fn compress(&mut self, page: Page, compressed: bool) -> PolarsResult<CompressedPage> {
        Ok(match page {
            Page::Data(mut page) => {
                let header = page.header().clone();
                let descriptor = page.descriptor.clone();
                let rows = page.num_rows().unwrap_or_default();
                let buffer = std::mem::take(page.buffer_mut());
                let size = buffer.len();
                let (codec, bytes) = if compressed {
                    let mut out = Vec::new();
                    match &header {
                        DataPageHeader::V1(_) => self.zstd(&buffer, &mut out)?,
                        DataPageHeader::V2(v2) => {
                            let levels = (v2.repetition_levels_byte_length + v2.definition_levels_byte_length) as usize;
                            out.extend_from_slice(&buffer[..levels]);
                            self.zstd(&buffer[levels..], &mut out)?;
                        }
                    }
                    (Compression::Zstd, out)
                } else {
                    (Compression::Uncompressed, buffer)
                };
                CompressedPage::Data(CompressedDataPage::new(
                    header,
                    CowBuffer::Owned(bytes),
                    codec,
                    size,
                    descriptor,
                    rows,
                ))
            }
            Page::Dict(page) => {
                let size = page.buffer.len();
                CompressedPage::Dict(CompressedDictPage::new(
                    page.buffer,
                    Compression::Uncompressed,
                    size,
                    page.num_values,
                    page.is_sorted,
                ))
            }
        })
    }
}

fn zstd_error(error: std::io::Error) -> PolarsError {
    PolarsError::ComputeError(format!("compressing a page: {error}").into())
}

/// One column of a table, across its row groups.
pub(super) struct ColumnPages {
    parquet_type: ParquetType,
    /// Once a row group of this column was too varied for a dictionary, the later ones are
    /// written without one (plain, or delta lengths for text) without asking again.
    plain: bool,
    /// Cleared when zstd shrank the first row group written in the column's settled
    /// encoding less than [`WORTH_COMPRESSING`] times.
    compress: bool,
    measured: bool,
}

impl ColumnPages {
    pub(super) fn new(parquet_type: ParquetType) -> Self {
        Self { parquet_type, plain: false, compress: true, measured: false }
    }

    /// The column's pages for one row group.
    pub(super) fn encode(
        &mut self,
        values: ColumnValues,
        options: WriteOptions,
        compressor: &mut PageCompressor,
    ) -> PolarsResult<Vec<CompressedPage>> {
        let dictionary = if self.plain { Encoding::Plain } else { Encoding::RleDictionary };
        let (array, encoding): (Box<dyn Array>, Encoding) = match values {
            ColumnValues::Text(text) => {
                let array = binary_array(text)?;
                match (!self.plain).then(|| few_words(&array)).flatten() {
                    Some(words) => (words.boxed(), Encoding::RleDictionary),
                    // Varied text has its lengths bit-packed apart from its bytes: less for zstd
                    // to compress than 4-byte prefixes, and polars reads it with less memory.
                    None if self.plain => (array.boxed(), Encoding::DeltaLengthByteArray),
                    None => (array.boxed(), dictionary),
                }
            }
            ColumnValues::Money(cells) | ColumnValues::Integer(cells) => {
                (primitive_array(cells, ArrowDataType::Int64).boxed(), dictionary)
            }
            ColumnValues::Date(cells) => (primitive_array(cells, ArrowDataType::Date32).boxed(), dictionary),
            ColumnValues::Float(cells) => (primitive_array(cells, ArrowDataType::Float64).boxed(), Encoding::Plain),
            ColumnValues::Bool(cells) => {
                let (values, present) = cells.into_parts();
                let array = BooleanArray::new(ArrowDataType::Boolean, Bitmap::from_iter(values), mask(present));
                (array.boxed(), Encoding::Plain)
            }
        };
        // A column with no values is only its definition levels (a dictionary of none would
        // still look at every cell).
        let no_values = array.null_count() == array.len();
        let encoding = if no_values { Encoding::Plain } else { encoding };
        let options = if encoding == Encoding::DeltaLengthByteArray { varied_text(options) } else { options };
        let pages = array_to_columns(array, self.parquet_type.clone(), options, &[encoding])?
            .into_iter()
            .flatten()
            .collect::<PolarsResult<Vec<Page>>>()?;
        let has_dictionary = pages.iter().any(|page| matches!(page, Page::Dict(_)));
        if encoding == Encoding::RleDictionary && !has_dictionary {
            self.plain = true;
        }
        // Every page of a column chunk has the same codec.
        let compressed = !has_dictionary && self.compress;
        let pages: Vec<CompressedPage> =
            pages.into_iter().map(|page| compressor.compress(page, compressed)).collect::<PolarsResult<_>>()?;
        // Measured on values in the column's settled encoding: a first row group that tried
        // a dictionary may be written plain, text with the lengths later ones delta-encode.
        if compressed && !self.measured && !no_values && encoding != Encoding::RleDictionary {
            self.measured = true;
            let size = |size: fn(&CompressedDataPage) -> usize| -> usize {
                pages.iter().map(|page| if let CompressedPage::Data(data) = page { size(data) } else { 0 }).sum()
            };
            self.compress = size(CompressedDataPage::compressed_size) * WORTH_COMPRESSING
                <= size(CompressedDataPage::uncompressed_size);
        }
        Ok(pages)
    }
}

/// Statistics of text too varied for a dictionary: its gaps only. The smallest and largest
/// of ids spread over every row group prune no reads, and no such column is of one value
/// (what the engine reads them for); comparing every value for them was 2% of an import.
fn varied_text(options: WriteOptions) -> WriteOptions {
    let statistics = StatisticsOptions { min_value: false, max_value: false, ..options.statistics };
    WriteOptions { statistics, ..options }
}

fn mask(present: Option<Vec<bool>>) -> Option<Bitmap> {
    present.map(Bitmap::from_iter)
}

/// A text column as Arrow binary over its one buffer and offsets, without a copy (the
/// text is UTF-8 already; Parquet's string type is its bytes).
fn binary_array(text: TextValues) -> PolarsResult<BinaryArray<i64>> {
    let (text, offsets, present) = text.into_parts();
    let offsets: OffsetsBuffer<i64> = Offsets::try_from(offsets)?.into();
    BinaryArray::try_new(ArrowDataType::LargeBinary, offsets, text.into_bytes().into(), mask(present))
}

fn primitive_array<T: NativeType + Default>(cells: Cells<T>, dtype: ArrowDataType) -> PrimitiveArray<T> {
    let (values, present) = cells.into_parts();
    PrimitiveArray::new(dtype, values.into(), mask(present))
}

/// The column as a dictionary when it holds at most [`FEW_WORDS`] distinct values, found
/// by comparing each value with those seen (cheaper than hashing it).
fn few_words(array: &BinaryArray<i64>) -> Option<DictionaryArray<u32>> {
    let mut words: Vec<&[u8]> = Vec::with_capacity(FEW_WORDS);
    let mut keys = Vec::with_capacity(array.len());
    for index in 0..array.len() {
        if !array.is_valid(index) {
            keys.push(0);
            continue;
        }
        let value = array.value(index);
        let key = match words.iter().position(|word| *word == value) {
            Some(key) => key,
            None if words.len() < FEW_WORDS => {
                words.push(value);
                words.len() - 1
            }
            None => return None,
        };
        keys.push(key as u32);
    }
    if words.is_empty() {
        // An empty dictionary cannot have its absent cells point into it.
        return None;
    }
    let values = BinaryArray::<i64>::from_slice(&words);
    let keys = PrimitiveArray::new(ArrowDataType::UInt32, keys.into(), array.validity().cloned());
    let dtype = ArrowDataType::Dictionary(IntegerType::UInt32, Box::new(ArrowDataType::LargeBinary), false);
    DictionaryArray::try_new(dtype, keys, values.boxed()).ok()
}

#[cfg(test)]
mod tests {
    use polars_arrow::datatypes::Field;
    use polars_parquet::write::{to_parquet_type, CompressionOptions, StatisticsOptions, Version};

    use super::super::testing::text_column;
    use super::*;

    fn data_page_encodings(pages: &[CompressedPage]) -> Vec<Encoding> {
        pages
            .iter()
            .filter_map(|page| match page {
                CompressedPage::Data(page) => Encoding::try_from(page.header().encoding()).ok(),
                CompressedPage::Dict(_) => None,
            })
            .collect()
    }

    #[test]
    fn varied_text_is_delta_length_encoded_once_a_dictionary_did_not_fit() {
        let field = Field::new("invoice_id".into(), ArrowDataType::LargeBinary, true);
        let mut column = ColumnPages::new(to_parquet_type(&field).unwrap());
        let options = WriteOptions {
            statistics: StatisticsOptions::default(),
            compression: CompressionOptions::Uncompressed,
            version: Version::V1,
            data_page_size: None,
        };
        let mut compressor = PageCompressor::new().unwrap();
        let encodings: Vec<_> = (0..3)
            .map(|batch| {
                let ids = (0..5_000).map(|row| Some(format!("in_{batch}_{row:06}"))).collect();
                let pages = column.encode(text_column("invoice_id", ids).values, options, &mut compressor).unwrap();
                data_page_encodings(&pages)
            })
            .collect();
        let delta = vec![Encoding::DeltaLengthByteArray];
        assert_eq!(encodings, [vec![Encoding::Plain], delta.clone(), delta]);
    }
}
